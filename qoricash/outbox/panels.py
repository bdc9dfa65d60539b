"""The Master's index panel when mail is not going out (failed messages, or retries piling up)."""

from django.db.models import Count, Q, Window
from django.urls import reverse

from qoricash.outbox.models import EmailStatus, OutboundEmail

ROWS = 5


def outbox_panel(request):
    if not request.user.has_perm("qoricash.view_outboundemail"):
        return None
    failed = Q(status=EmailStatus.FAILED)
    retrying = Q(status=EmailStatus.PENDING, attempts__gt=0)
    # The counts ride along the newest rows as window totals (computed before the LIMIT): one query,
    # and none of the rows at all while mail goes out (the panel's usual state).
    latest = list(
        OutboundEmail.objects.filter(failed | retrying)
        .annotate(
            failed_total=Window(Count("pk", filter=failed)),
            retrying_total=Window(Count("pk", filter=retrying)),
        )
        .order_by("-created_at")[:ROWS]
    )
    if not latest:
        return None
    changelist = reverse("admin:qoricash_outboundemail_changelist")
    return {
        "failed": latest[0].failed_total,
        "retrying": latest[0].retrying_total,
        "rows": [
            {
                "subject": m.subject,
                "to": m.to,
                "error": m.last_error,
                "created_at": m.created_at,
                "url": reverse("admin:qoricash_outboundemail_change", args=[m.pk]),
            }
            for m in latest
        ],
        "failed_url": f"{changelist}?status__exact={EmailStatus.FAILED}",
        "retrying_url": f"{changelist}?status__exact={EmailStatus.PENDING}",
    }
