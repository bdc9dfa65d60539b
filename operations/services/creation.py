"""Creating an operation and changing its amount or notes while it is open."""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import audit
from clients.models import BankAccount, Client
from operations import emails, policy, rate_guard
from operations.models import (
    AuditAction,
    CodeCounter,
    EventAction,
    ExchangeRate,
    Operation,
    OperationStatus,
    OperationType,
)
from operations.services.common import blank_to_none, parse_id, record_event
from operations.services.compliance import after_amount_change, refresh_register_flags
from operations.transitions import lock_operation

CODE_COUNTER = "operation"
CODE_PREFIX = "EXP-"
CODE_FLOOR = 1000  # the first code is EXP-1001


def _highest_code_number():
    highest = CODE_FLOOR
    for code in Operation.objects.filter(code__startswith=CODE_PREFIX).values_list("code", flat=True).iterator():
        m = re.fullmatch(r"EXP-([0-9]+)", code)  # ASCII digits only (\d would take "١٢")
        if m:
            highest = max(highest, int(m.group(1)))
    return highest


def next_code():
    """EXP-1001, EXP-1002…: the CodeCounter row is locked until the caller's transaction commits."""
    floor = CODE_FLOOR
    if not CodeCounter.objects.filter(name=CODE_COUNTER).exists():
        floor = _highest_code_number()  # a fresh counter continues after any imported codes
    while True:
        code = f"{CODE_PREFIX}{CodeCounter.next_value(CODE_COUNTER, floor)}"
        if not Operation.objects.filter(code=code).exists():
            return code


def account_snapshot(account):
    """Bank, currency and full number, frozen at creation (displayed masked to who may not see it)."""
    return f"{account.get_bank_display()} {account.currency} {account.number}"[:120]


def resolve(model, value, queryset=None):
    """An instance of `model` from an instance or a typed id, re-read as committed now (an instance
    from a form may be stale); None when there is no such row."""
    pk = value.pk if isinstance(value, model) else parse_id(value)
    if not pk:
        return None
    return (queryset if queryset is not None else model.objects).filter(pk=pk).first()


def _lock_client(user, client):
    """Lock the client's row until the transaction ends (nothing when there is no such visible client:
    prepare_operation then says why)."""
    pk = client.pk if isinstance(client, Client) else parse_id(client)
    if pk:
        Client.objects.visible_to(user).select_for_update().filter(pk=pk).first()


def check_client_account(account, client, currency, field, label):
    """The client's active account in `currency` that `account` (an instance or a typed id) names."""
    if account is None or account == "":
        raise ValidationError({field: _("Choose the %(label)s.") % {"label": label}})
    found = resolve(BankAccount, account)
    if found is None:
        raise ValidationError({field: _("The %(label)s does not exist.") % {"label": label}})
    if found.client_id != client.pk:
        raise ValidationError({field: _("The %(label)s does not belong to the client.") % {"label": label}})
    if not found.is_active:
        raise ValidationError({field: _("The %(label)s is not active.") % {"label": label}})
    if found.currency != currency:
        raise ValidationError(
            {field: _("The %(label)s must be in %(currency)s.") % {"label": label, "currency": currency}}
        )
    return found


def prepare_operation(*, by, client, type, amount_usd, source_account, destination_account, rate=None):
    """The unsaved, validated Operation these terms describe (nothing written).

    Used by create_operation (again, inside its transaction, on fresh rows) and by the admin form, so
    that a refusal shows next to the right field. Amount and rate are the model's rules.
    """
    if not by.has_perm("operations.add_operation"):
        raise PermissionDenied(_("You are not allowed to create operations."))
    if client is None or client == "":
        raise ValidationError({"client": _("Choose the client.")})
    client = resolve(Client, client, Client.objects.visible_to(by))
    if client is None:
        raise ValidationError({"client": _("The client does not exist or is not in your portfolio.")})
    if not client.is_active:
        raise ValidationError(
            {"client": _("The client %(client)s is not Active: it cannot trade.") % {"client": client.display_name}}
        )
    if type not in OperationType.values:
        raise ValidationError({"type": _("Choose Compra or Venta.")})
    current = ExchangeRate.objects.current()
    if current is None:
        raise ValidationError(_("No exchange rate has been published yet: the Master must publish one first."))
    if rate is None or (isinstance(rate, str) and not rate.strip()):
        rate = current.buy if type == OperationType.BUY else current.sell
    op = Operation(client=client, type=type, amount_usd=blank_to_none(amount_usd), rate=rate, base_rate=current.base)
    op.published_rate = current.buy if type == OperationType.BUY else current.sell
    op.clean_fields(exclude=[f.name for f in Operation._meta.fields if f.name not in ("amount_usd", "rate")])
    op.source_account = check_client_account(
        source_account, client, op.client_sends_currency, "source_account", _("source account")
    )
    op.destination_account = check_client_account(
        destination_account, client, op.client_receives_currency, "destination_account", _("destination account")
    )
    op.recompute()
    rate_guard.evaluate(op)
    return op


def create_operation(
    *, by, client, type, amount_usd, source_account, destination_account, rate=None, notes="", notify=True
):
    """Register a new Pendiente operation for an Activo client of the user's portfolio.

    The client's row is locked first (clients.services locks it too before deactivating the client,
    changing its accounts or reassigning it), then everything is checked again on fresh rows: a client
    or an account deactivated after the form was validated, or while this call waited for the lock,
    is refused instead of trading.
    """
    with transaction.atomic():
        _lock_client(by, client)
        op = prepare_operation(
            by=by,
            client=client,
            type=type,
            amount_usd=amount_usd,
            rate=rate,
            source_account=source_account,
            destination_account=destination_account,
        )
        op.code = next_code()
        op.status = OperationStatus.PENDING
        op.created_by = by
        op.trader = op.client.owner
        op.source_snapshot = account_snapshot(op.source_account)
        op.destination_snapshot = account_snapshot(op.destination_account)
        op.notes = (notes or "").strip()
        op.save()
        data = {
            "type": op.type,
            "amount_usd": str(op.amount_usd),
            "rate": str(op.rate),
            "base_rate": str(op.base_rate),
            "amount_pen": str(op.amount_pen),
            "profit_pen": str(op.profit_pen),
            "published_rate": str(op.published_rate),
            "requires_rate_approval": op.requires_rate_approval,
        }
        record_event(op, EventAction.CREATED, by, to_status=OperationStatus.PENDING, data=data)
        audit.record(
            AuditAction.OPERATION_CREATED,
            op,
            actor=by,
            changes={k: [None, v] for k, v in data.items()} | {"client": [None, str(op.client)]},
        )
        refresh_register_flags(op, by=by)
        if notify:
            emails.queue_new_operation(op)
    return op


def update_amount(operation, *, by, amount_usd):
    """Change the USD amount while Pendiente; the PEN amount and profit follow at the original rates."""
    with transaction.atomic():
        op = lock_operation(operation)
        if op.status != OperationStatus.PENDING:
            raise ValidationError(
                {
                    "amount_usd": _("The amount can only change while the operation is Pendiente (it is %(status)s).")
                    % {"status": op.get_status_display()}
                }
            )
        if not policy.is_clients_trader(by, op):
            raise PermissionDenied(_("You are not allowed to change this operation's amount."))
        old = {"amount_usd": op.amount_usd, "amount_pen": op.amount_pen, "profit_pen": op.profit_pen}
        op.amount_usd = blank_to_none(amount_usd)
        op.clean_fields(exclude=[f.name for f in Operation._meta.fields if f.name != "amount_usd"])
        if op.amount_usd == old["amount_usd"]:
            return op
        op.recompute()
        op.save(update_fields=["amount_usd", "amount_pen", "profit_pen", "updated_at"])
        data = {k: [str(v), str(getattr(op, k))] for k, v in old.items()}
        record_event(op, EventAction.AMOUNT_CHANGED, by, data=data)
        audit.record(AuditAction.AMOUNT_CHANGED, op, actor=by, changes=data)
        after_amount_change(op, by=by)
    return op


def update_notes(operation, *, by, notes):
    with transaction.atomic():
        op = lock_operation(operation)
        if not policy.can_edit_notes(by, op):
            raise PermissionDenied(_("You are not allowed to change the notes of this operation."))
        notes = (notes or "").strip()
        if notes == op.notes:
            return op
        data = {"notes": [op.notes, notes]}
        op.notes = notes
        op.save(update_fields=["notes", "updated_at"])
        record_event(op, EventAction.NOTES_CHANGED, by, data=data)
        audit.record(AuditAction.NOTES_CHANGED, op, actor=by, changes=data)
    return op
