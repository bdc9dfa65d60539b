import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qoricash.files import PrivateFile, private_upload_to


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


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFileQuerySet(models.QuerySet):
    def mine(self, user):
        """What "Mis descargas" lists: the user's own files only, whoever the user is."""
        if not user or not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def visible_to(self, user, now=None):
        """What the download view may hand out: the user's own, ready and not expired."""
        return self.mine(user).filter(status=ExportFile.Status.READY, expires_at__gt=now or timezone.now())


class ExportFile(PrivateFile):
    """An export too large for a request, built by a background task (qoricash.background_exports)
    for the one user who asked; downloadable by that user only, until it expires."""

    upload_folder = "exports"

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    # Our own output, not an upload: no upload type check (the file is an xlsx we wrote).
    file = models.FileField(_("file"), upload_to=private_upload_to, max_length=255, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=150)
    query = models.TextField(_("filters"), blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PREPARING)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    objects = ExportFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        indexes = [
            # "Mis descargas": one user's files, newest first.
            models.Index(fields=["owner", "-created_at"], name="qoricash_export_owner_idx"),
            # purge_expired_exports: ready files past their date.
            models.Index(fields=["status", "expires_at"], name="qoricash_export_expiry_idx"),
        ]

    def __str__(self):
        return self.original_name or self.title

    def capture_file_facts(self):
        super().capture_file_facts()
        if self.original_name.endswith(".xlsx"):
            self.content_type = XLSX_CONTENT_TYPE


from qoricash.outbox.models import OutboundEmail  # noqa: E402,F401  (the outbox's model belongs to this app)
