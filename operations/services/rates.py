"""Exchange rates: published (appended) by the Master, never edited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from operations import policy
from operations.models import AuditAction, ExchangeRate
from qoricash import display


def check_effective_at(effective_at, latest=None):
    """Rates form a timeline: a new one may start now or later, never before the latest published one."""
    latest = latest if latest is not None else ExchangeRate.objects.latest_published()
    if latest and effective_at < latest.effective_at:
        raise ValidationError(
            {
                "effective_at": _("The effective time cannot be earlier than the latest published rate (%(when)s).")
                % {"when": display.datetime(latest.effective_at)}
            }
        )


def publish_rate(*, by, base, buy, sell, effective_at=None):
    """Append a new rate (rates are never edited). Refuses back-dating before the latest published rate."""
    if not policy.may_publish_rates(by):
        raise PermissionDenied(_("You are not allowed to publish exchange rates."))
    rate = ExchangeRate(base=base, buy=buy, sell=sell, set_by=by, effective_at=effective_at or timezone.now())
    rate.full_clean()
    with transaction.atomic():
        latest = ExchangeRate.objects.select_for_update().order_by("-effective_at", "-id").first()
        check_effective_at(rate.effective_at, latest)
        rate.save()
        values = {"base": rate.base, "buy": rate.buy, "sell": rate.sell}
        audit.record(
            AuditAction.RATE_PUBLISHED,
            rate,
            actor=by,
            changes={k: [None, str(v)] for k, v in values.items()} | {"effective_at": [None, rate.effective_at]},
        )
    return rate
