"""Files kept across a refused form.

Browsers never send a file input back: when the server refuses a form (a bad RUC, a missing CCI,
an amount that does not add up), every file the user attached would be lost and the next submit
would say "Este campo es obligatorio". Instead, a file that passed its own checks is held:

- stored in the private storage under a random key (`HeldUpload`, folder "held/"),
- shown on the re-rendered form as "Archivo ya adjunto: nombre.pdf" with a hidden reference,
- read back on the next submit only by the same user and for `MAX_AGE` (a reference copied to
  another session of another user, or an old one, is simply ignored),
- removed by `manage.py clean_held_uploads` (run by the cron) once older than `MAX_AGE`.

Use: `HeldFileInput` as the widget of the file field and `HeldFilesFormMixin` first in the form's bases.
"""

import logging
import uuid
from datetime import timedelta

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import timezone

from qoricash import context
from qoricash.models import HeldUpload

log = logging.getLogger(__name__)

MAX_AGE = timedelta(hours=2)


def _owner(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def hold(uploaded, *, user):
    """Store `uploaded` for `user`; None when there is nobody to tie it to or the storage fails."""
    if _owner(user) is None:
        return None
    try:
        uploaded.seek(0)
        held = HeldUpload(user=user, original_name=uploaded.name[:255], content_type=uploaded.content_type or "")
        held.file.save(uploaded.name, uploaded, save=False)
        held.save()
        uploaded.seek(0)
    except Exception:
        # Holding is a convenience: without it the row asks for the file again, as before.
        log.exception("Could not hold an upload for %s", getattr(user, "username", None))
        return None
    return held


def find(reference, *, user):
    """The held upload behind `reference` if it is `user`'s and still fresh, else None."""
    if _owner(user) is None:
        return None
    try:
        pk = uuid.UUID(str(reference))
    except ValueError:
        return None
    return HeldUpload.objects.filter(pk=pk, user=user, created_at__gte=timezone.now() - MAX_AGE).first()


def as_upload(held):
    """The held file as a fresh upload, so the form validates and stores it like the original."""
    with held.file.open("rb") as f:
        data = f.read()
    return SimpleUploadedFile(held.original_name, data, content_type=held.content_type)


def clean_expired(now=None):
    """Delete the held uploads older than MAX_AGE (rows and files); returns how many."""
    cutoff = (now or timezone.now()) - MAX_AGE
    count = 0
    for held in HeldUpload.objects.filter(created_at__lt=cutoff).iterator():
        try:
            held.file.delete(save=False)
        except Exception:
            log.exception("Could not delete the held file %s", held.file.name)
            continue
        held.delete()
        count += 1
    return count


class HeldFileInput(forms.FileInput):
    """A file input that brings back the file held for this form after a refusal."""

    template_name = "qoricash/widgets/held_file_input.html"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.held = None  # the HeldUpload shown on this form
        self.pending = None  # an upload that passed its checks, held if the form is shown again
        self.restored = None  # what value_from_datadict gave back from `held`

    @staticmethod
    def reference_name(name):
        return f"{name}__held"

    def value_from_datadict(self, data, files, name):
        upload = super().value_from_datadict(data, files, name)
        if upload:
            return upload
        reference = data.get(self.reference_name(name))
        if not reference:
            return None
        if self.held is None or str(self.held.pk) != reference:
            self.held = find(reference, user=context.get().user)
            self.restored = as_upload(self.held) if self.held is not None else None
        if self.restored is not None:
            self.restored.seek(0)
        return self.restored

    def value_omitted_from_data(self, data, files, name):
        return super().value_omitted_from_data(data, files, name) and self.reference_name(name) not in data

    def get_context(self, name, value, attrs):
        if self.pending is not None:
            # The form is shown again although this file passed its checks: keep it.
            self.held = hold(self.pending, user=context.get().user) or self.held
            self.pending = None
        ctx = super().get_context(name, value, attrs)
        ctx["widget"]["held"] = self.held
        ctx["widget"]["reference_name"] = self.reference_name(name)
        if self.held is not None:
            ctx["widget"]["attrs"].pop("required", None)
        return ctx


class HeldFilesFormMixin:
    """Form mixin: after validation, each new file with no error of its own is marked to be held.

    It is held only if the form is rendered again (refused by its own checks, by another form of
    the page or by the service), so a successful save stores nothing extra.
    """

    def _post_clean(self):
        super()._post_clean()
        for name, field in self.fields.items():
            widget = field.widget
            if not isinstance(widget, HeldFileInput) or name in self.errors:
                continue
            value = self.cleaned_data.get(name)
            if isinstance(value, UploadedFile) and value is not widget.restored:
                widget.pending = value
