"""What every use case of operations shares: the event it writes and the small checks of its input."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from operations.models import OperationEvent


def parse_id(value):
    """A primary key as typed by a user ("12") → 12; anything else (None, "", "abc", "²", "-1") → None.

    Only ASCII digits count: str.isdigit() also accepts "²" or "①", which int() then refuses with a
    ValueError (a 500). At most 18 digits, so the number always fits a bigint column.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    text = value if isinstance(value, str) else ""
    if not (text and text.isascii() and text.isdecimal() and len(text) <= 18):
        return None
    return int(text) or None


def blank_to_none(value):
    """Typed input left empty is a missing value (the model then says it is required)."""
    return None if isinstance(value, str) and not value.strip() else value


def require_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required.")})
    return reason[:2000]


def record_event(op, action, by, *, from_status="", to_status="", reason="", data=None):
    return OperationEvent.objects.create(
        operation=op,
        action=action,
        by=by,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )
