"""Private uploaded files: the one upload validator and the abstract model every stored file uses.

Identity documents and vouchers are sensitive. Their type is detected from the bytes (a renamed
executable is refused whatever its extension), their storage key is random (never a document
number), and their size and SHA-256 are recorded so a file can be proven unchanged later.
"""

import hashlib
import logging
import os
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

# Magic numbers of the only formats staff need for IDs and vouchers.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


# The extensions a file of each detected type may carry; the first is the one it gets otherwise.
EXTENSIONS = {content_type: (ext,) for _magic, content_type, ext in SIGNATURES} | {"image/jpeg": (".jpg", ".jpeg")}


def name_for_type(name: str, content_type: str, max_length: int = 255) -> str:
    """`name` with an extension of its detected type: a PDF uploaded as "x.html" is "x.pdf".

    The name is what the file is saved as on the staff's computer, and the computer opens it by its
    extension: a PDF named .html would be opened by the browser as a page. Names of other types
    (exports, whose type is not detected from the bytes) are left as they are.
    """
    allowed = EXTENSIONS.get(content_type)
    stem, ext = os.path.splitext(name)
    if allowed and ext.lower() not in allowed:
        ext = allowed[0]
    return stem[: max(max_length - len(ext), 1)] + ext


def sniff(head: bytes):
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    return None, None


def validate_upload(uploaded):
    """Refuse anything that is not a PDF, JPEG or PNG by content, or that is over the size limit."""
    if uploaded is None:
        return
    if getattr(uploaded, "_committed", False):
        # Already stored, so already checked on its way in: re-validating a saved form must not
        # fetch the file back from the storage (a remote call, and a handle nobody closes).
        return
    limit = settings.MAX_UPLOAD_SIZE
    if uploaded.size is not None and uploaded.size > limit:
        raise ValidationError(
            _("The file is %(size)s MB; the maximum is %(limit)s MB.")
            % {"size": f"{uploaded.size / 1048576:.1f}", "limit": limit // 1048576},
            code="file_too_large",
        )
    if uploaded.size == 0:
        raise ValidationError(_("The file is empty."), code="file_empty")
    pos = uploaded.tell() if hasattr(uploaded, "tell") else 0
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(pos)
    content_type, _ext = sniff(head)
    if content_type is None:
        raise ValidationError(
            _("Only PDF, JPEG or PNG files are accepted (the content of this file is not one of them)."),
            code="file_type",
        )


def file_digest(uploaded) -> tuple[int, str, str]:
    """Return (size, sha256 hex, content type) of an uploaded file, reading it in chunks."""
    h = hashlib.sha256()
    size = 0
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    for chunk in uploaded.chunks() if hasattr(uploaded, "chunks") else iter(lambda: uploaded.read(65536), b""):
        h.update(chunk)
        size += len(chunk)
    uploaded.seek(0)
    content_type, _ext = sniff(head)
    return size, h.hexdigest(), content_type or "application/octet-stream"


def private_upload_to(instance, filename):
    """A random key under the model's folder; the original name is kept in the row, not the key.
    The key's extension is the detected type's when known (Cloudinary downloads under the key)."""
    ext = os.path.splitext(filename)[1].lower()
    allowed = EXTENSIONS.get(getattr(instance, "content_type", ""))
    if allowed and ext not in allowed:
        ext = allowed[0]
    elif ext not in {".pdf", ".jpg", ".jpeg", ".png"}:
        ext = ""
    folder = getattr(instance, "upload_folder", "files")
    return f"{folder}/{uuid.uuid4().hex}{ext}"


STORAGE_ERROR_MESSAGE = _(
    "The file could not be stored: the file storage service failed or did not answer. Nothing was "
    "saved; please try again in a few minutes."
)


def store_private_files(instance):
    """Upload the instance's new files now, before its row is written.

    Any failure of the storage backend (network, credentials, quota, a refused key) becomes one
    Spanish ValidationError on the field, so callers (services, forms) show a message instead of a
    500 and, because nothing was inserted yet, leave no row behind. Services call it inside their
    transaction before `save()`; `PrivateFile.save()` calls it too; `PrivateFileFormMixin` calls it
    during form validation so the admin shows the error on the form.
    """
    if hasattr(instance, "capture_file_facts"):
        instance.capture_file_facts()
    for field in instance._meta.concrete_fields:
        if not isinstance(field, models.FileField):
            continue
        value = getattr(instance, field.attname)
        if not value or getattr(value, "_committed", True):
            continue
        try:
            value.save(value.name, value.file, save=False)
        except Exception:
            log.exception("Storage failure while saving %s.%s", instance._meta.label, field.name)
            raise ValidationError({field.name: STORAGE_ERROR_MESSAGE}, code="storage_unavailable")


class PrivateFileFormMixin:
    """ModelForm mixin: store the upload while validating, turning storage failures into form errors.

    Use it first in the bases: `class ClientDocumentForm(PrivateFileFormMixin, forms.ModelForm)`.
    """

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            store_private_files(self.instance)
        except ValidationError as exc:
            self._update_errors(exc)


class PrivateFile(models.Model):
    """Abstract: a privately stored file with its integrity facts. Subclasses set upload_folder."""

    upload_folder = "files"

    file = models.FileField(_("file"), upload_to=private_upload_to, max_length=255, validators=[validate_upload])
    original_name = models.CharField(_("original name"), max_length=255, blank=True, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        store_private_files(self)
        super().save(*args, **kwargs)

    def capture_file_facts(self):
        """Fill original name, type, size and hash from a freshly assigned upload (before saving)."""
        f = self.file
        if f and not getattr(f, "_committed", True):
            self.size, self.sha256, self.content_type = file_digest(f.file if hasattr(f, "file") else f)
            self.original_name = name_for_type(os.path.basename(f.name), self.content_type)
