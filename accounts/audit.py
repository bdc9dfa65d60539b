"""The one function that writes the audit trail. Services call it inside their transaction."""

from decimal import Decimal

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from qoricash import context

# Labels of the actions this app records. Other apps' actions show their code unless they add a
# label with `register_actions({...})` (from their apps.py or services module).
ACTION_LABELS = {
    "login": _("Login"),
    "login_failed": _("Failed login"),
    "login_blocked": _("Login blocked (too many attempts)"),
    "logout": _("Logout"),
    "session_expired": _("Session expired"),
    "password_set": _("Password chosen"),
    "password_reset_requested": _("Password link requested"),
    "invitation_sent": _("Invitation sent"),
    "invitation_failed": _("Invitation not sent (e-mail error)"),
    "user_created": _("User created"),
    "user_changed": _("User changed"),
    "user_groups_changed": _("User's roles changed"),
    "user_permissions_changed": _("User's permissions changed"),
    "group_created": _("Role created"),
    "group_changed": _("Role changed"),
    "group_permissions_changed": _("Role's permissions changed"),
    "file_download": _("File downloaded"),
}


def register_actions(labels: dict):
    ACTION_LABELS.update(labels)


def action_label(code):
    return ACTION_LABELS.get(code, code)


def field_label(object_type, field):
    """The verbose name of `field` on the model `object_type` ("app.model"), or the field as stored."""
    try:
        return str(apps.get_model(object_type)._meta.get_field(field).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return field


def type_label(object_type):
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [_plain(before.get(k)), _plain(after.get(k))] for k in after if before.get(k) != after.get(k)}


def snapshot(instance, fields=None) -> dict:
    """Current values of an instance's concrete fields (foreign keys by id), for `diff`."""
    out = {}
    for f in instance._meta.concrete_fields:
        if fields and f.name not in fields:
            continue
        out[f.name] = getattr(instance, f.attname)
    return out


def record(action, obj=None, *, actor=None, changes=None, message="", object_type=None, object_repr=None):
    """Append one entry. `actor` defaults to the request's user; IP and user agent come from the request."""
    from accounts.models import AuditEntry

    ctx = context.get()
    if actor is None:
        actor = ctx.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_repr = object_repr if object_repr is not None else str(obj)
    return AuditEntry.objects.create(
        actor=actor,
        actor_username=getattr(actor, "username", "") or "",
        action=action,
        object_type=object_type or "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr or "")[:255],
        changes={k: [_plain(v[0]), _plain(v[1])] for k, v in (changes or {}).items()},
        message=message,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id if ctx.request_id != "-" else "",
    )
