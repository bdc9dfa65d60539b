"""Delivering the outbox: claim one due message at a time, send it, record the outcome.

Claims use `SELECT ... FOR UPDATE SKIP LOCKED` where the database has it (PostgreSQL) and a
conditional UPDATE everywhere, so two senders running at once never send one message twice.
A message left in "sending" by a sender that died is claimed again after STALE_CLAIM: it may then
go out twice, which beats never.
"""

import logging
import smtplib
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from qoricash.outbox.models import EmailStatus, OutboundEmail, split_addresses

log = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, ... failed attempt; the last value repeats.
BACKOFF_MINUTES = (1, 5, 15, 60, 120, 240, 480)
STALE_CLAIM = timedelta(minutes=15)
# Failures that belong to one message (its addresses, its content): the server itself is fine.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


class AttachmentUnavailable(Exception):
    """An attached file could not be read from the private storage."""


@dataclass
class Report:
    sent: list = field(default_factory=list)
    retry: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    stopped: str = ""

    def __str__(self):
        text = f"sent {len(self.sent)}, to retry {len(self.retry)}, failed {len(self.failed)}"
        return f"{text}; stopped: {self.stopped}" if self.stopped else text


def backoff(attempts):
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


def max_attempts():
    return int(getattr(settings, "EMAIL_MAX_ATTEMPTS", 8))


def claim(ids=None):
    """Mark the next due message as being sent by us and return it (None when nothing is due)."""
    while True:
        now = timezone.now()
        with transaction.atomic():
            due = OutboundEmail.objects.filter(
                Q(status=EmailStatus.PENDING, next_attempt_at__lte=now)
                | Q(status=EmailStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)
            )
            if ids is not None:
                due = due.filter(pk__in=ids)
            due = due.order_by("next_attempt_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            message = due.first()
            if message is None:
                return None
            claimed = OutboundEmail.objects.filter(
                pk=message.pk, status=message.status, attempts=message.attempts
            ).update(status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        if claimed:
            message.status, message.claimed_at, message.attempts = EmailStatus.SENDING, now, message.attempts + 1
            return message


def build(message, mail_connection=None):
    email = EmailMultiAlternatives(
        message.subject,
        message.body_text,
        settings.DEFAULT_FROM_EMAIL,
        split_addresses(message.to),
        cc=split_addresses(message.cc),
        bcc=split_addresses(message.bcc),
        connection=mail_connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for item in message.attachments:
        try:
            with default_storage.open(item["name"], "rb") as handle:
                content = handle.read()
        except Exception as exc:
            raise AttachmentUnavailable(f"attachment {item.get('filename')!r} could not be read") from exc
        email.attach(item["filename"], content, item.get("content_type") or "application/octet-stream")
    return email


def describe(exc):
    """The error to keep on the message: its type and text, never a credential."""
    text = f"{type(exc).__name__}: {exc}"
    for secret in (getattr(settings, "EMAIL_HOST_PASSWORD", ""), getattr(settings, "EMAIL_HOST_USER", "")):
        if secret:
            text = text.replace(str(secret), "***")
    return text[:1000]


def _record(message, exc=None):
    now = timezone.now()
    fields = {"claimed_at": None}
    if exc is None:
        fields.update(status=EmailStatus.SENT, sent_at=now, last_error="")
    elif message.attempts >= max_attempts():
        fields.update(status=EmailStatus.FAILED, last_error=describe(exc))
    else:
        fields.update(
            status=EmailStatus.PENDING, last_error=describe(exc), next_attempt_at=now + backoff(message.attempts)
        )
    OutboundEmail.objects.filter(pk=message.pk, status=EmailStatus.SENDING, claimed_at=message.claimed_at).update(
        **fields
    )
    for name, value in fields.items():
        setattr(message, name, value)


def deliver_pending(ids=None, *, deadline=None):
    """Send what is due (only `ids` when given) and return a Report.

    Stops at the first failure of the server itself (refused, timed out, unreachable): the messages
    not yet tried keep their place and are not charged an attempt. `deadline` (time.monotonic())
    bounds the whole run, SMTP exchange included.
    """
    report = Report()
    timeout = getattr(settings, "EMAIL_TIMEOUT", 10)
    if deadline is not None:
        timeout = max(0.1, min(timeout, deadline - time.monotonic()))
    mail_connection = get_connection(timeout=timeout)
    if deadline is not None and hasattr(mail_connection, "deadline"):
        mail_connection.deadline = deadline
    try:
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                report.stopped = "deadline"
                break
            message = claim(ids)
            if message is None:
                break
            try:
                build(message, mail_connection).send()
            except (AttachmentUnavailable, *MESSAGE_ERRORS) as exc:
                _record(message, exc)
            except Exception as exc:
                _record(message, exc)
                report.stopped = describe(exc)
            else:
                _record(message)
            {EmailStatus.SENT: report.sent, EmailStatus.FAILED: report.failed}.get(message.status, report.retry).append(
                message.pk
            )
            if report.stopped:
                log.warning("mail server unavailable, delivery stopped: %s", report.stopped)
                break
    finally:
        try:
            mail_connection.close()
        except Exception:
            log.debug("closing the mail connection failed", exc_info=True)
    return report


def deliver_after_commit(pk, batch):
    """Best effort right after the commit: never raises; all the messages of one transaction (its
    `batch`) share one deadline, EMAIL_TIMEOUT from the first try, and stop at a dead server."""
    if batch.stopped:
        return
    if batch.deadline is None:
        batch.deadline = time.monotonic() + getattr(settings, "EMAIL_TIMEOUT", 10)
    try:
        report = deliver_pending([pk], deadline=batch.deadline)
        batch.stopped = bool(report.stopped)
        log.info("outbox after commit: %s", report)
    except Exception:
        batch.stopped = True
        log.exception("outbox delivery after commit failed; the message stays pending")
