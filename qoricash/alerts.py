"""Alerts to the people who watch the system (storage almost full, audit chain broken, mail failing...).

`alert_masters(kind, subject, body, related=...)` queues one e-mail, through the outbox, to every
active user holding `qoricash.receive_alerts` (granted to the Master role by default). The same
`kind` is sent at most once per window (24 h): a condition checked every few minutes mails once,
not every time. Call it inside the transaction that detects the condition, like any message.
"""

import zlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from qoricash.outbox.models import OutboundEmail
from qoricash.outbox.queue import enqueue

ALERT_PERMISSION = "qoricash.receive_alerts"
WINDOW = timedelta(hours=24)


def alert_kind(kind):
    return f"alert.{kind}"[:60]


def recipients():
    users = get_user_model().objects.with_perm(ALERT_PERMISSION).exclude(email="").order_by("pk")
    return list(users.values_list("email", flat=True))


def _serialize(kind):
    """Two processes raising the same alert at once must not both pass the window check."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(alert_kind(kind).encode())])


def recently_alerted(kind, window=WINDOW):
    return OutboundEmail.objects.filter(kind=alert_kind(kind), created_at__gte=timezone.now() - window).exists()


@transaction.atomic
def alert_masters(kind, subject, body, *, related=None, window=WINDOW):
    """Queue the alert and return its message; None when already sent within `window` or nobody
    holds the alert permission. `body` is plain text (shown as paragraphs in the HTML part)."""
    _serialize(kind)
    if recently_alerted(kind, window):
        return None
    return enqueue(
        alert_kind(kind),
        to=recipients(),
        subject=subject,
        template="email/alert",
        context={"subject": subject, "paragraphs": [p for p in str(body).split("\n\n") if p.strip()]},
        related=related,
    )
