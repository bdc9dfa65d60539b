"""The compliance use cases (SPLAFT): the operations register flags, the origin-of-funds declaration,
the compliance officer's approval of PEP operations and the register of unusual operations.

The rules are operations.compliance's; this module applies them inside the callers' transactions.
Every path that changes an operation locks its client's row first (operations.transitions
.lock_operation, create_operation), so the month's sum behind `ro_multiple` is computed by one
transaction at a time per client.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit
from clients.models import Client
from operations import compliance, policy
from operations.models import (
    AuditAction,
    EventAction,
    FundsDeclaration,
    Operation,
    OperationStatus,
    UnusualOperation,
    UnusualStatus,
)
from operations.services.common import record_event, require_reason
from operations.transitions import REASON_REQUIRED, lock_operation, transition
from qoricash import display, money
from qoricash.files import store_private_files

# --- Register flags ----------------------------------------------------------------------------------------


def refresh_register_flags(op, *, by):
    """Recompute `ro_single` and `ro_multiple` of every operation of `op`'s client in `op`'s calendar
    month (Lima), store those that changed and audit each change. Call it with the client's row
    locked, after the change that may move the flags (creation, amount, completion, cancellation).

    A cancelled operation belongs to no register and counts in no sum.
    """
    start, end = compliance.month_bounds(op.created_at)
    month = Operation.objects.filter(client_id=op.client_id, created_at__gte=start, created_at__lt=end)
    total = month.not_cancelled().aggregate(t=Sum("amount_usd"))["t"] or money.ZERO
    multiple = compliance.is_multiple(total)
    changed = []
    for row in month.only("pk", "code", "status", "amount_usd", "ro_single", "ro_multiple").order_by("pk"):
        counted = row.status != OperationStatus.CANCELLED
        flags = {"ro_single": counted and compliance.is_single(row.amount_usd), "ro_multiple": counted and multiple}
        before = {"ro_single": row.ro_single, "ro_multiple": row.ro_multiple}
        if flags == before:
            continue
        Operation.objects.filter(pk=row.pk).update(**flags)
        audit.record(
            AuditAction.REGISTER_FLAGS_CHANGED,
            row,
            actor=by,
            changes=audit.diff(before, flags),
            message=_("Month total of the client: US$ %(total)s.") % {"total": display.money(total)},
        )
        changed.append(row.pk)
    op.refresh_from_db(fields=["ro_single", "ro_multiple"])
    return changed


def refresh_client_register_flags(client, *, by):
    """Recompute every month of one client (demo data moved into the past; a threshold changed)."""
    with transaction.atomic():
        list(Client.objects.select_for_update().filter(pk=client.pk).values_list("pk", flat=True))
        seen = set()
        for op in Operation.objects.filter(client=client).order_by("created_at", "id"):
            month = compliance.month_bounds(op.created_at)
            if month not in seen:
                seen.add(month)
                refresh_register_flags(op, by=by)


def after_amount_change(op, *, by):
    """A new amount: the flags follow, and a PEP approval given for the old amount no longer holds."""
    refresh_register_flags(op, by=by)
    if op.pep_approved_at is not None:
        Operation.objects.filter(pk=op.pk).update(pep_approved_at=None, pep_approved_by=None)
        audit.record(
            AuditAction.COMPLIANCE_APPROVED,
            op,
            actor=by,
            changes={"pep_approved_at": [op.pep_approved_at, None]},
            message=_("The amount changed: the compliance approval must be given again."),
        )
        op.pep_approved_at, op.pep_approved_by = None, None


# --- What a transition needs first ---------------------------------------------------------------------


def origin_problem(op):
    """Why `op` may not be sent to process for lack of compliance data (a ValidationError), or None."""
    if not compliance.needs_origin_of_funds(op):
        return None
    missing = []
    if not FundsDeclaration.objects.filter(operation_id=op.pk).exists():
        missing.append(_("the declaration of the origin of the funds"))
    gaps = op.client.compliance_gaps()
    if gaps:
        missing.append(_("the client's %(fields)s") % {"fields": ", ".join(gaps)})
    if not missing:
        return None
    return ValidationError(
        _(
            "Operation %(code)s is for US$ %(amount)s (from US$ %(threshold)s the origin of the funds is "
            "required): record %(missing)s before sending it to process."
        )
        % {
            "code": op.code,
            "amount": display.money(op.amount_usd),
            "threshold": display.money(compliance.origin_threshold()),
            "missing": _(" and ").join(missing),
        }
    )


def pep_problem(op):
    """Why `op` may not be completed yet for lack of the compliance officer's approval, or None."""
    if not compliance.needs_pep_approval(op) or op.pep_approved_at is not None:
        return None
    return ValidationError(
        _(
            "Operation %(code)s is of a PEP client for US$ %(amount)s: it waits for the compliance officer's "
            "approval (“Approve (compliance)”) before it can be completed."
        )
        % {"code": op.code, "amount": display.money(op.amount_usd)}
    )


def send_problem(op):
    from operations.services.movements import deposit_problem  # movements needs creation, which needs this

    # Both at once: the trader fixes the deposits and the declaration in one visit.
    problems = [p for p in (deposit_problem(op), origin_problem(op)) if p is not None]
    if not problems:
        return None
    return problems[0] if len(problems) == 1 else ValidationError([m for p in problems for m in p.messages])


def complete_problem(op):
    from operations.services.movements import payout_problem

    return pep_problem(op) or payout_problem(op)


# --- PEP approval ----------------------------------------------------------------------------------------


def _nothing_to_approve(op):
    if not compliance.needs_pep_approval(op):
        return ValidationError(
            _("Operation %(code)s does not need the compliance officer's approval.") % {"code": op.code}
        )
    if op.pep_approved_at is not None:
        return ValidationError(
            _("Operation %(code)s was already approved by compliance on %(when)s.")
            % {"code": op.code, "when": display.datetime(op.pep_approved_at)}
        )
    return None


def may_approve(user, op):
    return bool(user and user.is_authenticated and user.has_perm("operations.approve_pep"))


@transition(
    "approve_compliance",
    label=gettext_lazy("Approve (compliance)"),
    sources=(OperationStatus.PENDING, OperationStatus.IN_PROCESS),
    rule=may_approve,
    reason=REASON_REQUIRED,
    blocked=_nothing_to_approve,
    done=lambda op: _("Operation %(code)s approved by compliance.") % {"code": op.code},
)
def approve_compliance(op, *, by, reason):
    """The compliance officer (or a Master) approves a PEP client's operation after the reinforced
    due diligence; without it the operation cannot be completed."""
    reason = require_reason(reason)
    op.pep_approved_at = timezone.now()
    op.pep_approved_by = by
    op.save(update_fields=["pep_approved_at", "pep_approved_by", "updated_at"])
    record_event(op, EventAction.COMPLIANCE_APPROVED, by, reason=reason)
    audit.record(
        AuditAction.COMPLIANCE_APPROVED,
        op,
        actor=by,
        changes={"pep_approved_at": [None, op.pep_approved_at], "pep_approved_by": [None, str(by)]},
        message=reason,
    )
    return op


# --- Origin of funds -----------------------------------------------------------------------------------


DECLARATION_FIELDS = ("origin", "detail", "file")


def record_funds_declaration(operation, *, by, origin, detail="", file=None):
    """Record (or correct) the client's declaration of the origin of the funds of an operation, while it
    is Pendiente, by whoever may act on it as its trader. A stored file is kept when none is sent."""
    with transaction.atomic():
        op = lock_operation(operation)
        if not policy.is_clients_trader(by, op) or not by.has_perm("operations.add_fundsdeclaration"):
            raise PermissionDenied(_("You are not allowed to record the origin of the funds of this operation."))
        if op.status != OperationStatus.PENDING:
            raise ValidationError(
                _("The origin of the funds is recorded while the operation is Pendiente (it is %(status)s).")
                % {"status": op.get_status_display()}
            )
        declaration = FundsDeclaration.objects.select_for_update().filter(operation=op).first()
        before = audit.snapshot(declaration, DECLARATION_FIELDS) if declaration else None
        if declaration is None:
            declaration = FundsDeclaration(operation=op, recorded_by=by)
        declaration.origin = origin or ""
        declaration.detail = (detail or "").strip()
        if file:
            declaration.file = file
        declaration.full_clean(exclude=["operation", "recorded_by"])
        store_private_files(declaration)
        declaration.save()
        after = audit.snapshot(declaration, DECLARATION_FIELDS)
        if before is None:
            record_event(op, EventAction.FUNDS_DECLARED, by, data={"origin": declaration.origin})
            audit.record(AuditAction.FUNDS_DECLARED, declaration, actor=by, changes=audit.diff({}, after))
        elif audit.diff(before, after):
            audit.record(
                AuditAction.FUNDS_DECLARATION_CHANGED, declaration, actor=by, changes=audit.diff(before, after)
            )
    return declaration


# --- Unusual operations -------------------------------------------------------------------------------


def mark_unusual(operation, *, by, note):
    """Enter an operation in the internal register of unusual operations (status En evaluación)."""
    if not by.has_perm("operations.add_unusualoperation"):
        raise PermissionDenied(_("You are not allowed to mark operations as unusual."))
    with transaction.atomic():
        op = lock_operation(operation)
        if not Operation.objects.visible_to(by).filter(pk=op.pk).exists():
            raise ValidationError({"operation": _("The operation does not exist.")})
        existing = UnusualOperation.objects.filter(operation=op).first()
        if existing is not None:
            raise ValidationError(
                {
                    "operation": _("Operation %(code)s is already in the register of unusual operations (%(status)s).")
                    % {"code": op.code, "status": existing.get_status_display()}
                }
            )
        entry = UnusualOperation(operation=op, note=note or "", marked_by=by)
        entry.full_clean(exclude=["operation", "marked_by"])
        entry.save()
        audit.record(
            AuditAction.UNUSUAL_MARKED, entry, actor=by, changes={"status": [None, entry.status]}, message=entry.note
        )
    return entry


def evaluate_unusual(entry, *, by, status, evaluation="", uif_reference=""):
    """Record the officer's evaluation: still En evaluación, Descartada or Reportada a la UIF. A decision
    is dated; a decided entry can still be corrected (audited), never deleted."""
    if not by.has_perm("operations.change_unusualoperation"):
        raise PermissionDenied(_("You are not allowed to evaluate unusual operations."))
    with transaction.atomic():
        pk = entry.pk if isinstance(entry, UnusualOperation) else entry
        row = UnusualOperation.objects.select_for_update().filter(pk=pk).first()
        if row is None:
            raise ValidationError(_("The entry does not exist."))
        fields = ("status", "evaluation", "uif_reference", "decided_at")
        before = audit.snapshot(row, fields)
        if status not in UnusualStatus.values:
            raise ValidationError({"status": _("Choose the evaluation status.")})
        row.status, row.evaluation, row.uif_reference = status, evaluation or "", uif_reference or ""
        if status == UnusualStatus.EVALUATING:
            row.decided_at, row.decided_by = None, None
        elif before["status"] != status or row.decided_at is None:
            row.decided_at, row.decided_by = timezone.now(), by
        row.full_clean(exclude=["operation", "marked_by", "decided_by"])
        changes = audit.diff(before, audit.snapshot(row, fields))
        if not changes:
            return row
        row.save()
        audit.record(AuditAction.UNUSUAL_CHANGED, row, actor=by, changes=changes, message=row.evaluation)
    return row
