"""Deposits and payouts: one set of use cases for both kinds of money movement, driven by the kind.

What differs between the kinds (when and by whom, their messages) is in operations.policy
(`MOVEMENT_RULES`); which side of the operation a kind settles and how many rows it admits is on the
model (`side`, `max_per_operation`). Rows are never deleted: a mistaken one is voided.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from operations import policy, treasury_ledger
from operations.models import AuditAction, Deposit, EventAction, HouseBankAccount, Payout
from operations.services.common import blank_to_none, record_event, require_reason
from operations.services.creation import check_client_account, resolve
from operations.transitions import lock_operation
from qoricash import display, money
from qoricash.files import store_private_files


def check_house_account(account, currency, field="house_account"):
    """The active house account in `currency` that `account` (an instance or a typed id) names."""
    if account is None or account == "":
        raise ValidationError({field: _("Choose the house account.")})
    found = resolve(HouseBankAccount, account)
    if found is None:
        raise ValidationError({field: _("The house account does not exist.")})
    if not found.is_active:
        raise ValidationError({field: _("The house account %(account)s is not active.") % {"account": found}})
    if found.currency != currency:
        raise ValidationError({field: _("The house account must be in %(currency)s.") % {"currency": currency}})
    return found


def apply_movement_fields(row, fields):
    """Set the given fields on `row` (a new row takes them all) and validate them against its
    operation: the model's rules for amount, reference and voucher; the client's account and a house
    account in the kind's currency. Raises one ValidationError keyed by field; writes nothing."""
    new = row.pk is None
    model_fields = {f.name for f in type(row)._meta.fields}
    checked = []
    if "amount" in fields or new:
        row.amount = blank_to_none(fields.get("amount"))
        checked.append("amount")
    if "bank_reference" in fields and "bank_reference" in model_fields:
        row.bank_reference = (fields.get("bank_reference") or "").strip()[:40]
        checked.append("bank_reference")
    if fields.get("file"):
        row.file = fields["file"]
        checked.append("file")
    errors = {}
    try:
        row.clean_fields(exclude=[name for name in model_fields if name not in checked])
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    op, currency = row.operation, row.currency
    label = type(row)._meta.get_field("client_account").verbose_name
    checks = (
        ("client_account", lambda value: check_client_account(value, op.client, currency, "client_account", label)),
        ("house_account", lambda value: check_house_account(value, currency)),
    )
    for name, check in checks:
        if name in fields or new:
            try:
                setattr(row, name, check(fields.get(name)))
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    return row


def movement_data(row):
    return {
        "id": row.pk,
        "amount": str(row.amount),
        "bank_reference": getattr(row, "bank_reference", None),
        "client_account": str(row.client_account),
        "house_account": str(row.house_account),
        "voucher": row.original_name or "",
        "sha256": row.sha256 or "",
    }


def _ledger_day(row):
    """The (house account, Lima day) whose stored balance the row counts in."""
    return row.house_account_id, treasury_ledger.lima_day(row.created_at)


def _require_editor(user, op, model):
    refused = policy.movement_refusal(user, op, model)
    if refused:
        raise refused


def _lock_row(model, row, op):
    """Lock a deposit/payout row of the locked operation."""
    locked = model.objects.select_for_update().filter(pk=row.pk, operation=op).first()
    if locked is None:
        raise ValidationError(_("That row does not belong to operation %(code)s.") % {"code": op.code})
    locked.operation = op
    return locked


def add_movement(operation, model, *, by, **fields):
    """Register a deposit (abono) or a payout of `operation`: amount, client account, house account,
    voucher (and, for a deposit, the bank's operation number)."""
    with transaction.atomic():
        op = lock_operation(operation)
        _require_editor(by, op, model)
        limit = model.max_per_operation
        if limit is not None and model.objects.filter(operation=op).not_voided().count() >= limit:
            raise ValidationError(_("An operation admits at most %(max)s payouts.") % {"max": limit})
        row = apply_movement_fields(model(operation=op, created_by=by), fields)
        store_private_files(row)  # before the row is written: a storage failure leaves none
        row.save()
        treasury_ledger.refresh([_ledger_day(row)])
        data = movement_data(row)
        kind = model.kind()
        record_event(op, EventAction(f"{kind}_added"), by, data=data)
        audit.record(AuditAction(f"operation.{kind}_add"), op, actor=by, changes={kind: [None, data]})
    return row


def update_movement(row, *, by, **fields):
    """Change a deposit or payout under the operation's lock; event and audit only when something changed."""
    model = type(row)
    with transaction.atomic():
        op = lock_operation(row.operation_id)
        _require_editor(by, op, model)
        row = _lock_row(model, row, op)
        refused = policy.voided_refusal(row)
        if refused:
            raise refused
        before = movement_data(row)
        was = _ledger_day(row)
        apply_movement_fields(row, fields)
        store_private_files(row)
        row.save()
        after = movement_data(row)
        if before == after:
            return row
        treasury_ledger.refresh([was, _ledger_day(row)])
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        kind = model.kind()
        record_event(op, EventAction(f"{kind}_changed"), by, data={"id": row.pk, **changes})
        audit.record(AuditAction(f"operation.{kind}_change"), op, actor=by, changes=changes, message=f"{kind} {row.pk}")
    return row


def void_movement(row, *, by, reason):
    """Void (anular) a mistaken deposit (while Pendiente) or payout (while En proceso): it stays listed
    with its voucher, who voided it, when and why, and stops counting (also towards the payout limit)."""
    model = type(row)
    with transaction.atomic():
        op = lock_operation(row.operation_id)
        row = _lock_row(model, row, op)
        refused = policy.void_refusal(by, row)
        if refused:
            raise refused
        reason = require_reason(reason)
        row.voided_at, row.voided_by, row.void_reason = timezone.now(), by, reason
        row.save(update_fields=["voided_at", "voided_by", "void_reason"])
        treasury_ledger.refresh([_ledger_day(row)])
        kind = model.kind()
        record_event(op, EventAction(f"{kind}_voided"), by, reason=reason, data=movement_data(row))
        audit.record(
            AuditAction(f"operation.{kind}_void"),
            op,
            actor=by,
            changes={"voided_at": [None, row.voided_at], "voided_by": [None, str(by)], "void_reason": [None, reason]},
            message=f"{kind} {row.pk}",
        )
    return row


# --- What must hold before a transition -------------------------------------------------------------


def _sum_mismatch(what, total, expected, currency):
    diff = expected - total
    if diff > 0:
        gap = _("%(amount)s missing") % {"amount": display.money(diff, currency)}
    else:
        gap = _("%(amount)s too much") % {"amount": display.money(-diff, currency)}
    return ValidationError(
        _("The %(what)s add up to %(total)s but must be exactly %(expected)s (%(gap)s).")
        % {
            "what": what,
            "total": display.money(total, currency),
            "expected": display.money(expected, currency),
            "gap": gap,
        }
    )


def _counted(op, model):
    """(number as listed on the page, row) of the rows that count: numbered with the voided ones,
    checked and added up without them."""
    rows = model.objects.filter(operation=op).order_by("id")
    return [(i, row) for i, row in enumerate(rows, start=1) if not row.is_voided]


def deposit_problem(op):
    """What stops `op` from going to process (a ValidationError to raise or show), or None."""
    deposits = _counted(op, Deposit)
    if not deposits:
        return ValidationError(_("Register the client's deposits before sending the operation to process."))
    for i, d in deposits:
        if not d.file and not d.bank_reference.strip():
            return ValidationError(
                _("Deposit %(n)s (%(amount)s) has neither a voucher nor a bank operation number.")
                % {"n": i, "amount": display.money(d.amount)}
            )
    total = sum((d.amount for _i, d in deposits), money.ZERO)
    if total != op.client_sends_amount:
        return _sum_mismatch(_("client's deposits"), total, op.client_sends_amount, op.client_sends_currency)
    return None


def payout_problem(op):
    """What stops `op` from being completed, or None."""
    payouts = _counted(op, Payout)
    if not payouts:
        return ValidationError(_("Register the payouts to the client before completing the operation."))
    for i, p in payouts:
        if not p.file:
            return ValidationError(
                _("Payout %(n)s (%(amount)s) has no voucher.") % {"n": i, "amount": display.money(p.amount)}
            )
    total = sum((p.amount for _i, p in payouts), money.ZERO)
    if total != op.client_receives_amount:
        return _sum_mismatch(_("payouts to the client"), total, op.client_receives_amount, op.client_receives_currency)
    return None
