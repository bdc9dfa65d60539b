"""The one function that writes the audit trail. Services call it inside their transaction."""

import warnings
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router, transaction

from qoricash import bulk, context


class UnregisteredAuditAction(UserWarning):
    """An entry was recorded with a code no app registered: the audit page would show the raw code."""


class UnregisteredAuditType(UserWarning):
    """An entry was recorded on a kind of object no app registered: the audit page's filter would
    not offer it."""


# code -> label, for every action an app registered (its TextChoices), plus codes stored before the
# actions were named "<object>.<verb>": those stay readable under the label of their successor.
_LABELS: dict[str, object] = {}
_LEGACY: dict[str, str] = {}
# "app.model" of every kind of object entries are recorded on.
_TYPES: set[str] = set()


def register_actions(actions, legacy=None):
    """Make an app's audit actions known: `actions` is its TextChoices (or a {code: label} dict).

    `legacy` maps codes stored by older versions to their current member, so old entries show the
    current label and the action filter groups them with it. Call it from the app's registry.
    """
    if isinstance(actions, dict):
        _LABELS.update(actions)
    else:
        _LABELS.update({member.value: member.label for member in actions})
    for old, new in (legacy or {}).items():
        _LEGACY[old] = str(getattr(new, "value", new))


def canonical(code) -> str:
    """The current code of `code` (itself unless it is a legacy code)."""
    code = str(getattr(code, "value", code))
    return _LEGACY.get(code, code)


def codes_for(code) -> list[str]:
    """`code` and every legacy code that means the same action (to filter old and new entries alike)."""
    code = canonical(code)
    return [code, *sorted(old for old, new in _LEGACY.items() if new == code)]


def is_registered(code) -> bool:
    return canonical(code) in _LABELS


def action_choices():
    """(code, label) of every registered action, by label: the audit page's filter offers these
    instead of reading the trail's distinct codes, which costs a scan of millions of entries."""
    return sorted(_LABELS.items(), key=lambda item: str(item[1]).lower())


def register_types(*models):
    """Make known the kinds of object an app records entries on (model classes or "app.model"
    labels). Call it from the app's registry, next to `register_actions`."""
    for model in models:
        _TYPES.add(model if isinstance(model, str) else model._meta.label_lower)


def type_choices():
    """(type, label) of every registered kind of object, by label (see `action_choices`)."""
    return sorted(((t, type_label(t)) for t in _TYPES), key=lambda item: item[1].lower())


def action_label(code):
    """The Spanish label the audit page shows; an unknown code is shown as stored."""
    return _LABELS.get(canonical(code), code)


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


def _json_safe(value):
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
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return str(value)


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [_json_safe(before.get(k)), _json_safe(after.get(k))] for k in after if before.get(k) != after.get(k)}


def snapshot(instance, fields=None) -> dict:
    """Current values of an instance's concrete fields (foreign keys by id), for `diff`."""
    out = {}
    for f in instance._meta.concrete_fields:
        if fields and f.name not in fields:
            continue
        out[f.name] = getattr(instance, f.attname)
    return out


def entry(action, obj=None, *, actor=None, changes=None, message="", object_type=None, object_repr=None):
    """The unsaved entry `record` would write (for `record_many`)."""
    from accounts.models import AuditEntry

    if not is_registered(action):
        warnings.warn(f"Audit action {action!r} is not registered", UnregisteredAuditAction, stacklevel=3)
    action = canonical(action)
    ctx = context.get()
    if actor is None:
        actor = ctx.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_repr = object_repr if object_repr is not None else str(obj)
    if object_type and object_type not in _TYPES:
        warnings.warn(f"Audit object type {object_type!r} is not registered", UnregisteredAuditType, stacklevel=3)
    return AuditEntry(
        actor=actor,
        actor_username=getattr(actor, "username", "") or "",
        action=action,
        object_type=object_type or "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr or "")[:255],
        changes={k: [_json_safe(v[0]), _json_safe(v[1])] for k, v in (changes or {}).items()},
        message=message,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id if ctx.request_id != "-" else "",
    )


def record(action, obj=None, *, actor=None, changes=None, message="", object_type=None, object_repr=None):
    """Append one entry. `action` is a member of an app's registered TextChoices.

    `actor` defaults to the request's user; IP, user agent and request id come from the request.
    """
    new = entry(
        action, obj, actor=actor, changes=changes, message=message, object_type=object_type, object_repr=object_repr
    )
    new.save()
    return new


def record_many(entries, *, batch_size=1000):
    """Append many entries built by `entry`, in their order, with a few inserts instead of one each.

    The chain is sealed for all of them at once (accounts.auditchain.seal_many), so the trail
    verifies exactly as if each had been recorded on its own.
    """
    from accounts import auditchain
    from accounts.models import AuditEntry

    entries = list(entries)
    if not entries:
        return entries
    using = router.db_for_write(AuditEntry)
    with transaction.atomic(using=using):
        auditchain.seal_many(entries, using=using)
        bulk.insert(entries, batch_size=batch_size)
    return entries
