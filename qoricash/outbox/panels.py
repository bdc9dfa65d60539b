"""The Master's index panel when mail is not going out (failed messages, or retries piling up)."""

from django.urls import reverse

from qoricash.outbox.models import EmailStatus, OutboundEmail

ROWS = 5


def outbox_panel(request):
    if not request.user.has_perm("qoricash.view_outboundemail"):
        return None
    failed = OutboundEmail.objects.filter(status=EmailStatus.FAILED)
    retrying = OutboundEmail.objects.filter(status=EmailStatus.PENDING, attempts__gt=0)
    counts = {"failed": failed.count(), "retrying": retrying.count()}
    if not any(counts.values()):
        return None
    changelist = reverse("admin:qoricash_outboundemail_changelist")
    latest = (failed | retrying).order_by("-created_at")[:ROWS]
    return {
        **counts,
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
