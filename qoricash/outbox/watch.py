"""Telling the Masters when mail has been failing: one alert, not one per failed message."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qoricash.outbox.models import OutboundEmail

FAILING_FOR = timedelta(hours=1)
ALERT_KIND = "mail_failing"


def failing_messages():
    """Messages tried and still not sent more than an hour after they were written."""
    return OutboundEmail.objects.failing_since(timezone.now() - FAILING_FOR).exclude(kind__startswith="alert.")


def alert_if_failing():
    """Queue the Masters' alert when messages have been failing for over an hour; returns it or None."""
    from qoricash.alerts import alert_masters

    failing = failing_messages()
    count = failing.count()
    if not count:
        return None
    oldest = failing.order_by("created_at").first()
    body = "\n\n".join(
        [
            ngettext(
                "%(count)d e-mail has not been delivered for more than an hour.",
                "%(count)d e-mails have not been delivered for more than an hour.",
                count,
            )
            % {"count": count},
            _("Last error: %(error)s") % {"error": oldest.last_error or "-"},
            _("Check the mail settings (EMAIL_URL) and the list of sent e-mails in the admin."),
        ]
    )
    return alert_masters(ALERT_KIND, _("QoriCash: e-mails are not being delivered"), body)
