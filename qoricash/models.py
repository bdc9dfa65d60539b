import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qoricash.files import private_upload_to


class HeldUpload(models.Model):
    """A file that passed its checks on a form the server then refused, kept so it need not be
    attached again (qoricash.held_uploads). Private storage, random key, removed after a short time."""

    upload_folder = "held"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("file"), upload_to=private_upload_to, max_length=255)
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("held upload")
        verbose_name_plural = _("held uploads")

    def __str__(self):
        return self.original_name


class BackupRecord(models.Model):
    """A database backup this installation made: what backup_database wrote and verify_backup found.

    The dumps themselves live in the private storage (qoricash.recovery.archive); these rows feed
    the Master's index panel and `backup_database --list` without asking the storage.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"))
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    total_rows = models.PositiveBigIntegerField(_("rows"), default=0)
    uploaded_at = models.DateTimeField(_("copied to storage at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_ok = models.BooleanField(_("verification passed"), null=True)
    verify_detail = models.CharField(_("verification detail"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="qoricash_backup_created_idx"),
            models.Index(fields=["-verified_at"], name="qoricash_backup_verified_idx"),
        ]
        permissions = [("view_backup_status", _("Can see the state of backups and file storage"))]

    def __str__(self):
        return self.name


class StorageUsage(models.Model):
    """One storage_report run: bytes by kind as recorded at upload, and the provider's own figure."""

    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    backend = models.CharField(_("storage backend"), max_length=20)
    recorded_bytes = models.PositiveBigIntegerField(_("recorded bytes"))
    provider_bytes = models.PositiveBigIntegerField(_("bytes according to the provider"), null=True, blank=True)
    alert_bytes = models.PositiveBigIntegerField(_("alert threshold (bytes)"))
    by_kind = models.JSONField(_("by kind"), default=dict)
    alerted = models.BooleanField(_("Masters alerted"), default=False)

    class Meta:
        verbose_name = _("storage usage")
        verbose_name_plural = _("storage usage")
        indexes = [models.Index(fields=["-taken_at"], name="qoricash_storage_taken_idx")]

    def __str__(self):
        return f"{self.backend} {self.taken_at:%Y-%m-%d}"

    @property
    def used_bytes(self):
        """The provider's figure when it gives one (it counts everything stored), else our own sum."""
        return self.provider_bytes if self.provider_bytes is not None else self.recorded_bytes

    @property
    def over_threshold(self):
        return self.used_bytes >= self.alert_bytes


class MediaCopy(models.Model):
    """A private file copied to another storage backend and verified there (migrate_media's ledger).

    It makes the migration resumable: a file with a row here for the target is never copied again.
    """

    target = models.CharField(_("target backend"), max_length=20)
    key = models.CharField(_("storage key"), max_length=255)
    model = models.CharField(_("model"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    copied_at = models.DateTimeField(_("copied at"), auto_now_add=True)

    class Meta:
        verbose_name = _("copied file")
        verbose_name_plural = _("copied files")
        constraints = [models.UniqueConstraint(fields=["target", "key"], name="qoricash_mediacopy_target_key")]

    def __str__(self):
        return f"{self.key} → {self.target}"


from qoricash.outbox.models import OutboundEmail  # noqa: E402,F401  (the outbox's model belongs to this app)
