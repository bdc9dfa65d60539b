"""The negotiated-rate guard's use cases: a supervisor approves a rate that needs it (a transition,
with a reason), or the client's trader changes the rate while the operation is Pendiente (the
guard is evaluated again and any earlier approval no longer counts)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit
from operations import policy, rate_guard
from operations.models import EventAction, Operation, OperationStatus
from operations.services.common import blank_to_none, record_event, require_reason
from operations.transitions import REASON_REQUIRED, lock_operation, transition


def _nothing_to_approve(op):
    if op.awaiting_rate_approval:
        return None
    return ValidationError(_("Operation %(code)s has no exchange rate waiting for approval.") % {"code": op.code})


@transition(
    "approve_rate",
    label=gettext_lazy("Approve rate"),
    sources=(OperationStatus.PENDING,),
    rule=lambda user, op: policy.is_supervisor(user),
    reason=REASON_REQUIRED,
    blocked=_nothing_to_approve,
    done=lambda op: _("Rate %(rate)s of operation %(code)s approved: it can be sent to process.")
    % {"rate": op.rate, "code": op.code},
)
def approve_rate(op, *, by, reason):
    """A supervisor accepts a rate the guard stopped; the reason stays in the history and the audit."""
    reason = require_reason(reason)
    op.rate_approved_by = by
    op.rate_approved_at = timezone.now()
    op.save(update_fields=["rate_approved_by", "rate_approved_at", "updated_at"])
    result = rate_guard.check_operation(op)
    data = {
        "rate": str(op.rate),
        "published_rate": str(op.published_rate) if op.published_rate is not None else None,
        "base_rate": str(op.base_rate),
        "profit_pen": str(op.profit_pen),
        "worse_by": str(result.worse_by),
    }
    record_event(op, EventAction.RATE_APPROVED, by, reason=reason, data=data)
    audit.record(
        rate_guard.GuardAction.RATE_APPROVED,
        op,
        actor=by,
        changes={"rate_approved_by": [None, str(by)], **{k: [None, v] for k, v in data.items()}},
        message=reason,
    )
    return op


def update_rate(operation, *, by, rate):
    """Change the negotiated rate while Pendiente (client's trader or supervisor): PEN amount and profit
    follow, the guard is evaluated again against the published rate of the operation's creation."""
    with transaction.atomic():
        op = lock_operation(operation)
        if op.status != OperationStatus.PENDING:
            raise ValidationError(
                {
                    "rate": _("The rate can only change while the operation is Pendiente (it is %(status)s).")
                    % {"status": op.get_status_display()}
                }
            )
        if not policy.is_clients_trader(by, op):
            raise PermissionDenied(_("You are not allowed to change this operation's rate."))
        old = {
            "rate": op.rate,
            "amount_pen": op.amount_pen,
            "profit_pen": op.profit_pen,
            "requires_rate_approval": op.requires_rate_approval,
        }
        op.rate = blank_to_none(rate)
        op.clean_fields(exclude=[f.name for f in Operation._meta.fields if f.name != "rate"])
        if op.rate == old["rate"]:
            return op
        op.recompute()
        rate_guard.evaluate(op)
        op.rate_approved_by = None
        op.rate_approved_at = None
        op.save(
            update_fields=[
                "rate",
                "amount_pen",
                "profit_pen",
                "requires_rate_approval",
                "rate_approved_by",
                "rate_approved_at",
                "updated_at",
            ]
        )
        data = {k: [str(v), str(getattr(op, k))] for k, v in old.items()}
        record_event(op, EventAction.RATE_CHANGED, by, data=data)
        audit.record(rate_guard.GuardAction.RATE_CHANGED, op, actor=by, changes=data)
    return op
