from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


def split_addresses(text):
    return [a.strip() for a in (text or "").replace(";", ",").split(",") if a.strip()]


class OutboundEmailQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(status=EmailStatus.PENDING, next_attempt_at__lte=now or timezone.now())

    def failing_since(self, since):
        """Messages created before `since` that have been tried and are still not sent."""
        return self.filter(created_at__lt=since, attempts__gt=0).exclude(status=EmailStatus.SENT)


class OutboundEmail(models.Model):
    """One message to send. Written in the same transaction as the change that causes it, so a
    rolled-back change leaves no message and a committed one always has its message."""

    kind = models.CharField(_("kind"), max_length=60)
    to = models.TextField(_("to"), help_text=_("Comma-separated addresses."))
    cc = models.TextField(_("cc"), blank=True)
    bcc = models.TextField(_("bcc"), blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    # [{"name": storage name, "filename": shown name, "content_type": MIME}], read from the private
    # storage at send time: the message never holds a copy of a client's file.
    # A personal link (invitation, password reset): whoever reads the body could use it, so the
    # admin shows who it went to and when, never the body.
    confidential = models.BooleanField(_("confidential"), default=False)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    related_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("related type")
    )
    related_id = models.CharField(_("related id"), max_length=64, blank=True)
    related = GenericForeignKey("related_type", "related_id")
    related_label = models.CharField(_("related to"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("resend_outboundemail", _("Can resend e-mails")),
            ("receive_alerts", _("Receives system alerts by e-mail")),
        ]
        indexes = [
            # The sender's claim: pending rows whose next attempt is due, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            # Alert de-duplication and the admin's kind filter.
            models.Index(fields=["kind", "created_at"], name="outbox_kind_idx"),
            models.Index(fields=["created_at"], name="outbox_created_idx"),
            models.Index(fields=["related_type", "related_id"], name="outbox_related_idx"),
        ]

    def __str__(self):
        return self.subject

    @property
    def recipients(self):
        return split_addresses(self.to) + split_addresses(self.cc) + split_addresses(self.bcc)

    def requeue(self):
        """Back to pending for an immediate new try (a Master's "Reenviar"); returns the previous status."""
        previous = self.status
        self.status = EmailStatus.PENDING
        self.next_attempt_at = timezone.now()
        self.claimed_at = None
        # A fresh set of attempts; the last error stays visible until the next try.
        self.attempts = 0
        self.save(update_fields=["status", "next_attempt_at", "claimed_at", "attempts"])
        return previous
