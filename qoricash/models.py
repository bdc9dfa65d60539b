import uuid

from django.conf import settings
from django.db import models
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
