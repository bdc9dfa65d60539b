"""How the audit page reads a stored entry: labels, people and local dates instead of stored codes.

The entries themselves are never rewritten (the trail is append-only): only their display changes.
"""

import re

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from accounts import audit
from qoricash import display

ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
PERMISSION_FIELDS = {"permissions", "user_permissions"}


def _field(object_type, name):
    try:
        return apps.get_model(object_type)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


def _related(field, value):
    related = field.related_model.objects.filter(pk=value).first()
    if related is None:
        return str(value)
    return related.display_name if isinstance(related, get_user_model()) else str(related)


def value_label(object_type, name, value):
    """One stored value as people read it."""
    if value is None or value == "":
        return display.EMPTY
    field = _field(object_type, name)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field is not None and field.many_to_one and (isinstance(value, int) or str(value).isdigit()):
        return _related(field, value)  # an id; older entries already stored the person's name
    if isinstance(value, bool) or isinstance(field, models.BooleanField):
        return _("Yes") if value in (True, "True", "true", 1) else _("No")
    if isinstance(value, str) and ISO_DATETIME.match(value):
        parsed = parse_datetime(value)
        return display.datetime(parsed, seconds=True) if parsed else value
    if isinstance(value, str) and ISO_DATE.match(value):
        parsed = parse_date(value)
        return display.date(parsed) if parsed else value
    return str(value)


def _permission_labels(codes):
    from django.contrib.auth.models import Permission

    from accounts.admin import permission_label

    wanted = {tuple(code.split(".", 1)) for code in codes if "." in code}
    found = {
        f"{p.content_type.app_label}.{p.codename}": permission_label(p)
        for p in Permission.objects.select_related("content_type").filter(codename__in=[c for _a, c in wanted])
    }
    return sorted(found.get(code, code) for code in codes)


def _list_change(name, before, after):
    removed = sorted(set(before or []) - set(after or []))
    added = sorted(set(after or []) - set(before or []))
    if name in PERMISSION_FIELDS:
        removed, added = _permission_labels(removed), _permission_labels(added)
    left = _("Removed: %(items)s") % {"items": "; ".join(removed)} if removed else display.EMPTY
    right = _("Added: %(items)s") % {"items": "; ".join(added)} if added else display.EMPTY
    return left, right


def change_rows(object_type, changes):
    """[(field label, before, after)] for an entry's stored changes, in field-label order."""
    rows = []
    for name, values in (changes or {}).items():
        try:
            before, after = values[0], values[1]
        except (IndexError, KeyError, TypeError):
            before, after = None, values
        label = audit.field_label(object_type, name)
        if isinstance(before, list) or isinstance(after, list):
            rows.append((label, *_list_change(name, before, after)))
        else:
            rows.append((label, value_label(object_type, name, before), value_label(object_type, name, after)))
    return sorted(rows, key=lambda row: str(row[0]).lower())


def object_label(entry):
    """The entry's object: a report entry stores its action code as the object, shown by its label."""
    if entry.object_repr and audit.is_registered(entry.object_repr):
        return str(audit.action_label(entry.object_repr))
    return entry.object_repr
