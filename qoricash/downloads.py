"""The one way a stored private file leaves the system.

Every model built on `qoricash.files.PrivateFile` (client documents, deposit and payout vouchers)
is downloadable through `/admin/files/<kind>/<pk>/` and nothing else. This module holds the
registry and the delivery helpers; the view itself is `accounts.views.download_private_file`
(accounts records the audit entry, and qoricash/ never imports an app). The view

1. requires the model's view permission (403 otherwise),
2. looks the row up through the default manager's `visible_to(user)` (the portfolio rule), so a
   trader asking for another trader's client's file gets 404, exactly as if it did not exist,
3. records a `file_download` audit entry,
4. streams the file from local disk as an attachment, or redirects to a signed URL of the cloud
   backend that expires within SIGNED_URL_EXPIRE_SECONDS (5 minutes by default).

No public or permanent URL is stored or shown: admins link with `private_file_url(obj)` (or the
`{% private_file_url obj %}` tag from `accounts.templatetags.private_files`), never `obj.file.url`.

Models register themselves automatically (every concrete PrivateFile subclass, kind = model name,
e.g. "clientdocument", "deposit", "payout"); `register(kind, model)` adds an explicit alias. This
module never imports clients/ or operations/: they are found through the app registry.
"""

import logging
import os
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from qoricash.files import name_for_type

log = logging.getLogger(__name__)

_explicit: dict[str, type] = {}


def register(kind, model):
    """Make `model`'s files downloadable as /admin/files/<kind>/<pk>/ (in addition to its model name)."""
    other = _explicit.get(kind)
    if other is not None and other is not model:
        raise ImproperlyConfigured(f"Download kind {kind!r} is already registered for {other._meta.label}")
    _explicit[kind] = model
    return model


def registry() -> dict[str, type]:
    """{kind: model} for every downloadable model (auto-discovered PrivateFile subclasses + aliases)."""
    from qoricash.files import PrivateFile

    found = {}
    for model in apps.get_models():
        if issubclass(model, PrivateFile) and not model._meta.abstract:
            found[model._meta.model_name] = model
    found.update(_explicit)
    return found


def kind_of(model_or_obj) -> str:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    model = model._meta.concrete_model
    for kind, registered in registry().items():
        if registered is model and kind == model._meta.model_name:
            return kind
    for kind, registered in registry().items():
        if registered is model:
            return kind
    raise ImproperlyConfigured(f"{model._meta.label} is not a downloadable private file model")


def private_file_url(obj) -> str:
    """The permission-checked download URL of obj's file, or "" when it has none."""
    if obj is None or obj.pk is None or not getattr(obj, "file", None):
        return ""
    return reverse("admin:private_file", kwargs={"kind": kind_of(obj), "pk": obj.pk})


def private_file_link(obj, label=None):
    """An <a> to the download view for admin list/readonly fields ("—" when there is no file)."""
    url = private_file_url(obj)
    if not url:
        return "—"
    return format_html('<a href="{}" rel="noopener">{}</a>', url, label or obj.original_name or _("Download"))


def visible_queryset(model, user):
    """The rows of `model` that `user` may see; fails closed (nothing) when the model has no rule."""
    manager = model._default_manager
    visible_to = getattr(manager, "visible_to", None)
    if visible_to is None:
        log.error("%s has no visible_to(user) on its default manager: its files are not downloadable", model)
        return manager.none()
    return visible_to(user)


def safe_filename(obj) -> str:
    """The download's name: the original one, its extension that of the detected type (rows stored
    before uploads were renamed that way are renamed here)."""
    name = os.path.basename(getattr(obj, "original_name", "") or obj.file.name) or "archivo"
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"\\;') or "archivo"
    return name_for_type(name, getattr(obj, "content_type", ""), max_length=150)


def _looks_signed(url: str) -> bool:
    return any(marker in url for marker in ("X-Amz-Signature=", "Signature=", "signature="))


def signed_url(storage, name, filename, content_type=None):
    """A short-lived signed URL for a cloud backend; refuses to hand out an unsigned one."""
    parameters = {"ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}"}
    if content_type:
        parameters["ResponseContentType"] = content_type
    try:
        url = storage.url(name, parameters=parameters)
    except TypeError:  # storages without per-request parameters (Cloudinary: attachment is built in)
        url = storage.url(name)
    if not _looks_signed(url):
        raise ImproperlyConfigured("The file storage produced an unsigned URL: private files must use signed URLs")
    return url


def local_path(storage, name):
    try:
        return storage.path(name)
    except NotImplementedError:
        return None


def expire_seconds() -> int:
    return settings.SIGNED_URL_EXPIRE_SECONDS
