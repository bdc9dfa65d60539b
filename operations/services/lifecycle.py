"""The operation's transitions: Pendiente → En proceso → Completada, back to Pendiente, Cancelado,
and reassigning the operator. Each is declared once with `@transition` (operations.transitions): the
decorator locks the row, refuses with the entry's messages and runs the body in one transaction.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit
from operations import emails, policy, rate_guard
from operations.models import AuditAction, CodeCounter, EventAction, OperationStatus, operators
from operations.services.common import record_event, require_reason
from operations.services.compliance import complete_problem, refresh_register_flags, send_problem
from operations.transitions import REASON_OPTIONAL, REASON_REQUIRED, Choice, transition

PENDING = OperationStatus.PENDING
IN_PROCESS = OperationStatus.IN_PROCESS
COMPLETED = OperationStatus.COMPLETED
CANCELLED = OperationStatus.CANCELLED

ASSIGNMENT_COUNTER = "operator_assignment"


def pick_operator():
    """The candidate with the fewest operations En proceso; ties go to the lowest id; None if nobody.

    Inside a transaction, the assignment counter row is locked first: concurrent sends to process
    queue up here, so each one counts the others' committed assignments and the balance holds
    under load (the lock lasts until the caller commits; sends are a few a minute).
    """
    CodeCounter.next_value(ASSIGNMENT_COUNTER, floor=0)
    return (
        operators()
        .annotate(load=Count("assigned_operations", filter=Q(assigned_operations__status=IN_PROCESS)))
        .order_by("load", "pk")
        .first()
    )


def _sent(op):
    text = _("Operation %(code)s sent to process.") % {"code": op.code}
    if op.assigned_operator:
        return text + " " + _("Assigned to %(user)s.") % {"user": op.assigned_operator}
    return text + " " + _("No operator is available: a supervisor must process it.")


@transition(
    "send_to_process",
    label=gettext_lazy("Send to process"),
    sources=(PENDING,),
    rule=policy.is_clients_trader,
    check=lambda op: rate_guard.rate_problem(op) or send_problem(op),
    done=_sent,
)
def send_to_process(op, *, by):
    """Pendiente → En proceso: deposits must add up exactly to what the client sends; assigns an operator."""
    total = op.deposits_total
    operator = pick_operator()
    op.status = IN_PROCESS
    op.sent_to_process_at = timezone.now()
    op.assigned_operator = operator
    op.returned_at = None
    op.save(update_fields=["status", "sent_to_process_at", "assigned_operator", "returned_at", "updated_at"])
    data = {"operator": str(operator) if operator else None, "deposits_total": str(total)}
    record_event(op, EventAction.SENT_TO_PROCESS, by, from_status=PENDING, to_status=IN_PROCESS, data=data)
    audit.record(
        AuditAction.SENT_TO_PROCESS,
        op,
        actor=by,
        changes={"status": [PENDING, IN_PROCESS], "assigned_operator": [None, data["operator"]]},
    )
    return op


@transition(
    "return_to_pending",
    label=gettext_lazy("Return to pending"),
    sources=(IN_PROCESS,),
    rule=policy.is_assigned_operator,
    reason=REASON_REQUIRED,
    done=lambda op: _("Operation %(code)s returned to Pendiente.") % {"code": op.code},
)
def return_to_pending(op, *, by, reason, notify=True):
    """En proceso → Pendiente (assigned operator or supervisor), with a reason. The client's current
    owner (the trader who must fix it) is told by e-mail once it commits, and sees it on the index."""
    reason = require_reason(reason)
    previous = op.assigned_operator
    op.status = PENDING
    op.sent_to_process_at = None
    op.assigned_operator = None
    op.returned_at = timezone.now()
    op.save(update_fields=["status", "sent_to_process_at", "assigned_operator", "returned_at", "updated_at"])
    data = {"operator": str(previous) if previous else None}
    event = record_event(
        op, EventAction.RETURNED, by, from_status=IN_PROCESS, to_status=PENDING, reason=reason, data=data
    )
    audit.record(AuditAction.RETURNED, op, actor=by, changes={"status": [IN_PROCESS, PENDING]}, message=reason)
    if notify:
        emails.queue_returned_operation(op, event)
    return op


@transition(
    "complete",
    label=gettext_lazy("Complete"),
    sources=(IN_PROCESS,),
    rule=policy.is_assigned_operator,
    check=complete_problem,
    done=lambda op: _("Operation %(code)s completed.") % {"code": op.code},
)
def complete_operation(op, *, by, notify=True):
    """En proceso → Completada: payouts must add up exactly to what the client receives, each with voucher."""
    total = op.payouts_total
    op.status = COMPLETED
    op.completed_at = timezone.now()
    op.processed_by = by
    op.save(update_fields=["status", "completed_at", "processed_by", "updated_at"])
    refresh_register_flags(op, by=by)
    data = {"payouts_total": str(total)}
    record_event(op, EventAction.COMPLETED, by, from_status=IN_PROCESS, to_status=COMPLETED, data=data)
    audit.record(
        AuditAction.COMPLETED,
        op,
        actor=by,
        changes={"status": [IN_PROCESS, COMPLETED], "processed_by": [None, str(by)]},
    )
    if notify:
        emails.queue_completed_operation(op)
    return op


@transition(
    "cancel",
    label=gettext_lazy("Cancel"),
    sources=(PENDING, IN_PROCESS),
    rule=policy.may_cancel,
    reason=REASON_REQUIRED,
    done=lambda op: _("Operation %(code)s cancelled.") % {"code": op.code},
)
def cancel_operation(op, *, by, reason, notify=True):
    """Pendiente → Cancelado (client's trader or supervisor); En proceso → Cancelado (supervisor only).
    The client is told, with the reason, and the trader is copied."""
    reason = require_reason(reason)
    before = op.status
    op.status = CANCELLED
    op.cancelled_at = timezone.now()
    op.returned_at = None
    op.save(update_fields=["status", "cancelled_at", "returned_at", "updated_at"])
    refresh_register_flags(op, by=by)
    record_event(op, EventAction.CANCELLED, by, from_status=before, to_status=CANCELLED, reason=reason)
    audit.record(AuditAction.CANCELLED, op, actor=by, changes={"status": [before, CANCELLED]}, message=reason)
    if notify:
        emails.queue_cancelled_operation(op, reason)
    return op


def reassign_choices(op):
    return op.reassign_targets().order_by("first_name", "last_name", "username")


def _nobody_to_reassign_to(op):
    if not op.reassign_targets().exists():
        return ValidationError(
            _("There is no other active operator to reassign operation %(code)s to.") % {"code": op.code}
        )
    return None


@transition(
    "reassign",
    label=gettext_lazy("Reassign operator"),
    sources=(IN_PROCESS,),
    rule=lambda user, op: policy.is_supervisor(user),
    reason=REASON_OPTIONAL,
    choices=(Choice("operator", gettext_lazy("New operator"), reassign_choices),),
    blocked=_nobody_to_reassign_to,
    done=lambda op: _("Operation %(code)s reassigned to %(operator)s.")
    % {"code": op.code, "operator": op.assigned_operator or "—"},
)
def reassign_operator(op, *, by, operator, reason=""):
    """Supervisor moves an En proceso operation to another active operator."""
    if operator is None or operator == "":
        raise ValidationError({"operator": _("Choose the operator.")})
    operator_pk = operator.pk if isinstance(operator, get_user_model()) else operator
    target = operators().filter(pk=operator_pk).first()
    if target is None:
        raise ValidationError({"operator": _("That user is not an active operator.")})
    if target.pk == op.assigned_operator_id:
        raise ValidationError({"operator": _("The operation is already assigned to %(user)s.") % {"user": target}})
    previous = op.assigned_operator
    op.assigned_operator = target
    op.save(update_fields=["assigned_operator", "updated_at"])
    data = {"from": str(previous) if previous else None, "to": str(target)}
    reason = (reason or "").strip()
    record_event(op, EventAction.REASSIGNED, by, reason=reason, data=data)
    audit.record(
        AuditAction.REASSIGNED, op, actor=by, changes={"assigned_operator": [data["from"], data["to"]]}, message=reason
    )
    return op
