"""Use cases of operations and exchange rates: the state machine lives here, nowhere else.

Every public function is one business action. It runs in one transaction, locks the operation row
(`select_for_update`), checks status and permission, writes an `OperationEvent` and an audit entry,
and returns the result, or raises `OperationError` with a Spanish message and changes nothing.

Who may act ("ownership" on top of `user.has_perm`):
- the client's trader: the client's CURRENT owner (`operation.client.owner == user`) with
  `operations.change_operation`, or a supervisor (`operations.supervise_operation`). After a client
  is reassigned, its open operations are acted on by the new owner, who is also the one who sees
  them (`visible_to` follows `client__owner`); `operation.trader` stays the executive at creation
  (history, reports and goals), never a right to act;
- the assigned operator: `operation.assigned_operator == user` with `operations.process_operation`,
  or a supervisor.
"""

import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from clients.models import BankAccount, Client, Currency
from operations import emails
from operations.models import (
    CodeCounter,
    Deposit,
    EventAction,
    ExchangeRate,
    HouseBankAccount,
    Operation,
    OperationEvent,
    OperationStatus,
    OperationType,
    Payout,
    mask_snapshot,  # noqa: F401  (re-exported for views and reports)
    rate_bounds,
)
from qoricash import money
from qoricash.files import store_private_files, validate_upload

log = logging.getLogger(__name__)

CODE_COUNTER = "operation"
CODE_PREFIX = "EXP-"
CODE_FLOOR = 1000  # the first code is EXP-1001

PENDING = OperationStatus.PENDING
IN_PROCESS = OperationStatus.IN_PROCESS
COMPLETED = OperationStatus.COMPLETED
CANCELLED = OperationStatus.CANCELLED


class OperationError(Exception):
    """A refused business action. `message` is Spanish and safe to show; `field` names the form field."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = str(message)
        self.field = field

    def __str__(self):
        return self.message


# --- Permissions -------------------------------------------------------------------------------------


def is_supervisor(user):
    return bool(user and user.is_authenticated and user.has_perm("operations.supervise_operation"))


def is_clients_trader(user, op):
    """The client's current owner (or a supervisor): who sends to process, cancels while Pendiente,
    registers deposits and edits the amount. Not `op.trader` (the executive at creation): a client
    reassigned since would leave its open operations with nobody able to act on them."""
    if is_supervisor(user):
        return True
    return bool(
        user
        and user.is_authenticated
        and op.client.owner_id == user.pk
        and user.has_perm("operations.change_operation")
    )


def is_assigned_operator(user, op):
    """The operator the operation is assigned to (or a supervisor)."""
    if is_supervisor(user):
        return True
    return bool(
        user
        and user.is_authenticated
        and op.assigned_operator_id is not None
        and op.assigned_operator_id == user.pk
        and user.has_perm("operations.process_operation")
    )


def _may_cancel(user, op):
    if op.status == IN_PROCESS:
        return is_supervisor(user)
    return is_clients_trader(user, op)


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    from_statuses: tuple
    allowed: object  # (user, op) -> bool
    needs_reason: bool = False


def _transitions():
    return {
        "send_to_process": Transition("send_to_process", _("Send to process"), (PENDING,), is_clients_trader),
        "return_to_pending": Transition(
            "return_to_pending", _("Return to pending"), (IN_PROCESS,), is_assigned_operator, needs_reason=True
        ),
        "complete": Transition("complete", _("Complete"), (IN_PROCESS,), is_assigned_operator),
        "cancel": Transition("cancel", _("Cancel"), (PENDING, IN_PROCESS), _may_cancel, needs_reason=True),
        "reassign": Transition("reassign", _("Reassign operator"), (IN_PROCESS,), lambda u, o: is_supervisor(u)),
    }


TRANSITION_NAMES = ("send_to_process", "return_to_pending", "complete", "cancel", "reassign")


def transition(name):
    return _transitions()[name]


def allowed_transitions(user, op):
    """The transitions `user` may start on `op` now (what the change form shows as buttons)."""
    return [t for t in _transitions().values() if refusal(t, op, user) is None]


def can_edit_amount(user, op):
    return op.pk is not None and op.status == PENDING and is_clients_trader(user, op)


def can_edit_deposits(user, op):
    return (
        op is not None
        and op.pk is not None
        and op.status == PENDING
        and is_clients_trader(user, op)
        and user.has_perm("operations.add_deposit")
    )


def can_edit_payouts(user, op):
    return (
        op is not None
        and op.pk is not None
        and op.status == IN_PROCESS
        and is_assigned_operator(user, op)
        and user.has_perm("operations.add_payout")
    )


def can_edit_notes(user, op):
    return op.pk is not None and not op.is_final and (is_clients_trader(user, op) or is_assigned_operator(user, op))


def refusal(t, op, user):
    """Why `user` may not start transition `t` on `op` now (a Spanish message), or None if it may."""
    if op.status not in t.from_statuses:
        return _("Operation %(code)s is %(status)s: “%(action)s” is not possible in that status.") % {
            "code": op.code,
            "status": op.get_status_display(),
            "action": t.label,
        }
    if not t.allowed(user, op):
        return _("You are not allowed to “%(action)s” operation %(code)s.") % {"action": t.label, "code": op.code}
    if t.name == "reassign" and not reassign_targets(op).exists():
        return _("There is no other active operator to reassign operation %(code)s to.") % {"code": op.code}
    return None


def _refuse_transition(t, op, user):
    message = refusal(t, op, user)
    if message:
        raise OperationError(message)


# --- Small helpers -------------------------------------------------------------------------------------


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


def _lock(operation):
    """Re-read the operation with its row locked until the transaction ends."""
    pk = operation.pk if isinstance(operation, Operation) else operation
    try:
        return Operation.objects.select_for_update(of=("self",)).select_related("client").get(pk=pk)
    except Operation.DoesNotExist:
        raise OperationError(_("The operation does not exist."))


def _decimal(value, field, label):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise OperationError(_("%(label)s is required.") % {"label": label}, field)
    try:
        return money.to_decimal(value)
    except (ValueError, TypeError):
        raise OperationError(_("%(label)s is not a valid number.") % {"label": label}, field)


def _amount(value, field, label, maximum=None):
    value = _decimal(value, field, label)
    if not value.is_finite() or value <= 0:
        raise OperationError(_("%(label)s must be greater than zero.") % {"label": label}, field)
    if value != money.cents(value):
        raise OperationError(_("%(label)s admits at most 2 decimals.") % {"label": label}, field)
    if maximum is not None and value > maximum:
        raise OperationError(_("%(label)s cannot exceed %(max)s.") % {"label": label, "max": money.fmt(maximum)}, field)
    return money.cents(value)


def max_usd():
    return money.cents(settings.OPERATION_MAX_USD)


def _rate_value(value, field="rate"):
    value = _decimal(value, field, _("The exchange rate"))
    if not value.is_finite():
        raise OperationError(_("The exchange rate is not a valid number."), field)
    if value != money.rate(value):
        raise OperationError(_("The exchange rate admits at most 4 decimals."), field)
    low, high = rate_bounds()
    if not (low <= value <= high):
        raise OperationError(
            _("The exchange rate must be between %(low)s and %(high)s.") % {"low": low, "high": high}, field
        )
    return money.rate(value)


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise OperationError(_("A reason is required."), "reason")
    return reason[:2000]


def account_snapshot(account):
    """Bank, currency and full number, frozen at creation (displayed masked to who may not see it)."""
    return f"{account.get_bank_display()} {account.currency} {account.number}"[:120]


def _event(op, action, user, *, from_status="", to_status="", reason="", data=None):
    return OperationEvent.objects.create(
        operation=op,
        action=action,
        by=user,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- Exchange rates -------------------------------------------------------------------------------------


def current_rate(at=None):
    return ExchangeRate.objects.current(at)


def check_effective_at(effective_at, latest=None):
    """Rates form a timeline: a new one may start now or later, never before the latest published one."""
    latest = latest if latest is not None else ExchangeRate.objects.order_by("-effective_at", "-id").first()
    if latest and effective_at < latest.effective_at:
        raise OperationError(
            _("The effective time cannot be earlier than the latest published rate (%(when)s).")
            % {"when": timezone.localtime(latest.effective_at).strftime("%d/%m/%Y %H:%M")},
            "effective_at",
        )


def publish_rate(user, *, base, buy, sell, effective_at=None):
    """Append a new rate (rates are never edited). Refuses back-dating before the latest published rate."""
    if not user.has_perm("operations.add_exchangerate"):
        raise OperationError(_("You are not allowed to publish exchange rates."))
    values = {}
    for name, value in (("base", base), ("buy", buy), ("sell", sell)):
        values[name] = _rate_value(value, name)
    if not (values["buy"] <= values["base"] <= values["sell"]):
        raise OperationError(_("The rates must satisfy buy ≤ base ≤ sell."), "base")
    effective_at = effective_at or timezone.now()
    with transaction.atomic():
        latest = ExchangeRate.objects.select_for_update().order_by("-effective_at", "-id").first()
        check_effective_at(effective_at, latest)
        rate = ExchangeRate.objects.create(set_by=user, effective_at=effective_at, **values)
        audit.record(
            "exchangerate.create",
            rate,
            actor=user,
            changes={k: [None, str(v)] for k, v in values.items()} | {"effective_at": [None, effective_at]},
        )
    return rate


# --- House accounts -------------------------------------------------------------------------------------

HOUSE_ACCOUNT_FIELDS = ("bank", "currency", "number", "cci", "holder", "is_active")


def save_house_account(user, account, changed=None):
    """Create (changed=None) or update a house account, with its audit entry. Never deleted."""
    perm = "operations.change_housebankaccount" if account.pk else "operations.add_housebankaccount"
    if not user.has_perm(perm):
        raise OperationError(_("You are not allowed to manage the house accounts."))
    with transaction.atomic():
        if account.pk:
            before = audit.snapshot(
                HouseBankAccount.objects.select_for_update().get(pk=account.pk), HOUSE_ACCOUNT_FIELDS
            )
            account.save()
            changes = audit.diff(before, audit.snapshot(account, HOUSE_ACCOUNT_FIELDS))
            if changes:
                audit.record("housebankaccount.change", account, actor=user, changes=changes)
        else:
            account.save()
            audit.record(
                "housebankaccount.create",
                account,
                actor=user,
                changes={k: [None, v] for k, v in audit.snapshot(account, HOUSE_ACCOUNT_FIELDS).items()},
            )
    return account


def set_house_accounts_active(user, queryset, active):
    if not user.has_perm("operations.change_housebankaccount"):
        raise OperationError(_("You are not allowed to manage the house accounts."))
    n = 0
    with transaction.atomic():
        for account in queryset.select_for_update().exclude(is_active=active):
            account.is_active = active
            account.save(update_fields=["is_active"])
            audit.record("housebankaccount.change", account, actor=user, changes={"is_active": [not active, active]})
            n += 1
    return n


# --- Operator assignment -------------------------------------------------------------------------------


def operator_candidates():
    """Active users holding operations.process_operation through a group or directly.

    Superusers are not candidates unless they hold the permission explicitly.
    """
    User = get_user_model()
    perm = Permission.objects.filter(content_type__app_label="operations", codename="process_operation").first()
    if perm is None:
        return User.objects.none()
    ids = (
        User.objects.filter(is_active=True).filter(Q(groups__permissions=perm) | Q(user_permissions=perm)).values("pk")
    )
    return User.objects.filter(pk__in=ids)


def reassign_targets(op):
    """Active operators `op` could be reassigned to: every candidate but its current operator."""
    return operator_candidates().exclude(pk=op.assigned_operator_id)


ASSIGNMENT_COUNTER = "operator_assignment"


def pick_operator():
    """The candidate with the fewest operations En proceso; ties go to the lowest id; None if nobody.

    Inside a transaction, the assignment counter row is locked first: concurrent sends to process
    queue up here, so each one counts the others' committed assignments and the balance holds
    under load (the lock lasts until the caller commits; sends are a few a minute).
    """
    CodeCounter.next_value(ASSIGNMENT_COUNTER, floor=0)
    return (
        operator_candidates()
        .annotate(load=Count("assigned_operations", filter=Q(assigned_operations__status=IN_PROCESS)))
        .order_by("load", "pk")
        .first()
    )


def operator_queue(user):
    """En proceso operations the user should work on: its own; a supervisor sees all of them."""
    qs = Operation.objects.in_process().select_related("client", "trader", "assigned_operator")
    qs = qs.order_by("sent_to_process_at", "id")
    if is_supervisor(user):
        return qs
    if user.has_perm("operations.process_operation"):
        return qs.filter(assigned_operator=user)
    return qs.none()


# --- Creation and amount -------------------------------------------------------------------------------


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


def _check_client_account(account, client, currency, field, label):
    if account is None:
        raise OperationError(_("Choose the %(label)s.") % {"label": label}, field)
    if not isinstance(account, BankAccount):
        pk = parse_id(account)
        account = BankAccount.objects.filter(pk=pk).first() if pk else None
        if account is None:
            raise OperationError(_("The %(label)s does not exist.") % {"label": label}, field)
    if account.client_id != client.pk:
        raise OperationError(_("The %(label)s does not belong to the client.") % {"label": label}, field)
    if not account.is_active:
        raise OperationError(_("The %(label)s is not active.") % {"label": label}, field)
    if account.currency != currency:
        raise OperationError(
            _("The %(label)s must be in %(currency)s.") % {"label": label, "currency": currency}, field
        )
    return account


def _check_house_account(account, currency, field="house_account"):
    if account is None:
        raise OperationError(_("Choose the house account."), field)
    if not isinstance(account, HouseBankAccount):
        pk = parse_id(account)
        account = HouseBankAccount.objects.filter(pk=pk).first() if pk else None
        if account is None:
            raise OperationError(_("The house account does not exist."), field)
    if not account.is_active:
        raise OperationError(_("The house account %(account)s is not active.") % {"account": account}, field)
    if account.currency != currency:
        raise OperationError(_("The house account must be in %(currency)s.") % {"currency": currency}, field)
    return account


def _lock_client(user, client):
    """Lock the client's row until the transaction ends (None when there is no such visible client:
    prepare_operation then says why)."""
    pk = client.pk if isinstance(client, Client) else parse_id(client)
    if not pk:
        return None
    return Client.objects.visible_to(user).select_for_update().filter(pk=pk).first()


def _fresh(model, obj):
    """The row of `obj` as committed now (an instance from a form may be stale); ids pass through."""
    if isinstance(obj, model) and obj.pk:
        return model.objects.filter(pk=obj.pk).first()
    return obj


def prepare_operation(user, *, client, type, amount_usd, source_account, destination_account, rate=None):
    """Validate the terms of a new operation without writing anything. Returns the cleaned values.

    Used by create_operation (again, inside its transaction) and by the admin form to show errors
    next to the right field.
    """
    if not user.has_perm("operations.add_operation"):
        raise OperationError(_("You are not allowed to create operations."))
    if client is None:
        raise OperationError(_("Choose the client."), "client")
    client_pk = client.pk if isinstance(client, Client) else parse_id(client)
    client = Client.objects.visible_to(user).filter(pk=client_pk).first() if client_pk else None
    if client is None:
        raise OperationError(_("The client does not exist or is not in your portfolio."), "client")
    if not client.is_active:
        raise OperationError(
            _("The client %(client)s is not Active: it cannot trade.") % {"client": client.display_name}, "client"
        )
    if type not in OperationType.values:
        raise OperationError(_("Choose Compra or Venta."), "type")
    amount_usd = _amount(amount_usd, "amount_usd", _("The amount in USD"), maximum=max_usd())
    current = current_rate()
    if current is None:
        raise OperationError(_("No exchange rate has been published yet: the Master must publish one first."))
    if rate is None or (isinstance(rate, str) and not rate.strip()):
        rate = current.buy if type == OperationType.BUY else current.sell
    rate = _rate_value(rate)
    sends = Currency.USD if type == OperationType.BUY else Currency.PEN
    receives = Currency.PEN if type == OperationType.BUY else Currency.USD
    source = _check_client_account(source_account, client, sends, "source_account", _("source account"))
    destination = _check_client_account(
        destination_account, client, receives, "destination_account", _("destination account")
    )
    amount_pen, profit_pen = Operation.compute_amounts(type, amount_usd, rate, current.base)
    return {
        "client": client,
        "type": type,
        "amount_usd": amount_usd,
        "rate": rate,
        "base_rate": current.base,
        "amount_pen": amount_pen,
        "profit_pen": profit_pen,
        "source_account": source,
        "destination_account": destination,
    }


def create_operation(
    user, *, client, type, amount_usd, source_account, destination_account, rate=None, notes="", notify=True
):
    """Register a new Pendiente operation for an Activo client of the user's portfolio.

    The client's row is locked first (clients.services locks it too before deactivating the client,
    changing its accounts or reassigning it), then everything is checked again on fresh rows: a client
    or an account deactivated after the form was validated, or while this call waited for the lock,
    is refused instead of trading.
    """
    with transaction.atomic():
        _lock_client(user, client)
        terms = prepare_operation(
            user,
            client=client,
            type=type,
            amount_usd=amount_usd,
            rate=rate,
            source_account=_fresh(BankAccount, source_account),
            destination_account=_fresh(BankAccount, destination_account),
        )
        op = Operation(
            code=next_code(),
            status=PENDING,
            created_by=user,
            trader=terms["client"].owner,
            source_snapshot=account_snapshot(terms["source_account"]),
            destination_snapshot=account_snapshot(terms["destination_account"]),
            notes=(notes or "").strip(),
            **terms,
        )
        op.save()
        data = {
            "type": op.type,
            "amount_usd": str(op.amount_usd),
            "rate": str(op.rate),
            "base_rate": str(op.base_rate),
            "amount_pen": str(op.amount_pen),
            "profit_pen": str(op.profit_pen),
        }
        _event(op, EventAction.CREATED, user, to_status=PENDING, data=data)
        audit.record(
            "operation.create",
            op,
            actor=user,
            changes={k: [None, v] for k, v in data.items()} | {"client": [None, str(op.client)]},
        )
        if notify:
            emails.new_operation_on_commit(op.pk)
    return op


def update_amount(user, operation, amount_usd):
    """Change the USD amount while Pendiente; the PEN amount and profit follow at the original rates."""
    with transaction.atomic():
        op = _lock(operation)
        if op.status != PENDING:
            raise OperationError(
                _("The amount can only change while the operation is Pendiente (it is %(status)s).")
                % {"status": op.get_status_display()},
                "amount_usd",
            )
        if not is_clients_trader(user, op):
            raise OperationError(_("You are not allowed to change this operation's amount."), "amount_usd")
        new = _amount(amount_usd, "amount_usd", _("The amount in USD"), maximum=max_usd())
        if new == op.amount_usd:
            return op
        old = {"amount_usd": op.amount_usd, "amount_pen": op.amount_pen, "profit_pen": op.profit_pen}
        op.amount_usd = new
        op.recompute()
        op.save(update_fields=["amount_usd", "amount_pen", "profit_pen", "updated_at"])
        data = {k: [str(v), str(getattr(op, k))] for k, v in old.items()}
        _event(op, EventAction.AMOUNT_CHANGED, user, data=data)
        audit.record("operation.update_amount", op, actor=user, changes=data)
    return op


def update_notes(user, operation, notes):
    with transaction.atomic():
        op = _lock(operation)
        if not can_edit_notes(user, op):
            raise OperationError(_("You are not allowed to change the notes of this operation."), "notes")
        notes = (notes or "").strip()
        if notes == op.notes:
            return op
        data = {"notes": [op.notes, notes]}
        op.notes = notes
        op.save(update_fields=["notes", "updated_at"])
        _event(op, EventAction.NOTES_CHANGED, user, data=data)
        audit.record("operation.update_notes", op, actor=user, changes=data)
    return op


# --- Deposits and payouts -------------------------------------------------------------------------------


def _check_file(file):
    if not file:
        return None
    try:
        validate_upload(file)
    except ValidationError as exc:
        raise OperationError(" ".join(exc.messages), "file")
    return file


def _store_voucher(obj):
    """Upload a new voucher now, inside the caller's transaction and before the row is written.

    A storage failure (network, credentials, quota) arrives as the Spanish ValidationError of
    `store_private_files`; it becomes an OperationError on the file field, so the admin shows it on
    the form and the transaction leaves no row behind, never a 500.
    """
    try:
        store_private_files(obj)
    except ValidationError as exc:
        raise OperationError(" ".join(exc.messages), "file") from exc


def clean_deposit_fields(op, fields, current=None):
    """Validate deposit fields against the operation (client, currency, house account, file)."""
    clean = {}
    if "amount" in fields or current is None:
        clean["amount"] = _amount(fields.get("amount"), "amount", _("The deposit amount"))
    if "bank_reference" in fields:
        clean["bank_reference"] = (fields.get("bank_reference") or "").strip()[:40]
    if "client_account" in fields or current is None:
        clean["client_account"] = _check_client_account(
            fields.get("client_account"),
            op.client,
            op.client_sends_currency,
            "client_account",
            _("client account charged"),
        )
    if "house_account" in fields or current is None:
        clean["house_account"] = _check_house_account(fields.get("house_account"), op.client_sends_currency)
    if fields.get("file"):
        clean["file"] = _check_file(fields["file"])
    return clean


def clean_payout_fields(op, fields, current=None):
    """Validate payout fields against the operation (client, currency, house account, file)."""
    clean = {}
    if "amount" in fields or current is None:
        clean["amount"] = _amount(fields.get("amount"), "amount", _("The payout amount"))
    if "client_account" in fields or current is None:
        clean["client_account"] = _check_client_account(
            fields.get("client_account"),
            op.client,
            op.client_receives_currency,
            "client_account",
            _("client destination account"),
        )
    if "house_account" in fields or current is None:
        clean["house_account"] = _check_house_account(fields.get("house_account"), op.client_receives_currency)
    if fields.get("file"):
        clean["file"] = _check_file(fields["file"])
    return clean


def _child_data(obj):
    return {
        "id": obj.pk,
        "amount": str(obj.amount),
        "bank_reference": getattr(obj, "bank_reference", None),
        "client_account": str(obj.client_account),
        "house_account": str(obj.house_account),
        "voucher": obj.original_name or "",
        "sha256": obj.sha256 or "",
    }


def _require_deposit_editor(user, op):
    if op.status != PENDING:
        raise OperationError(
            _("Deposits can only be registered while the operation is Pendiente (it is %(status)s).")
            % {"status": op.get_status_display()}
        )
    if not can_edit_deposits(user, op):
        raise OperationError(_("You are not allowed to register deposits on this operation."))


def _require_payout_editor(user, op):
    if op.status != IN_PROCESS:
        raise OperationError(
            _("Payouts can only be registered while the operation is En proceso (it is %(status)s).")
            % {"status": op.get_status_display()}
        )
    if not can_edit_payouts(user, op):
        raise OperationError(_("Only the assigned operator or a supervisor can register payouts."))


def _voided_message(row):
    when = timezone.localtime(row.voided_at).strftime("%d/%m/%Y %H:%M")
    if isinstance(row, Deposit):
        message = _("The deposit of %(amount)s was voided on %(when)s: it cannot change any more.")
    else:
        message = _("The payout of %(amount)s was voided on %(when)s: it cannot change any more.")
    return message % {"amount": money.fmt(row.amount), "when": when}


def _lock_child(model, obj, op):
    """Lock a deposit/payout row of the locked operation."""
    row = model.objects.select_for_update().filter(pk=obj.pk, operation=op).first()
    if row is None:
        raise OperationError(_("That row does not belong to operation %(code)s.") % {"code": op.code})
    return row


def _lock_editable_child(model, obj, op):
    """Lock a deposit/payout row to change it: a voided one cannot change any more."""
    row = _lock_child(model, obj, op)
    if row.is_voided:
        raise OperationError(_voided_message(row))
    return row


def void_refusal(user, op, row):
    """Why `user` may not void the deposit/payout `row` of `op` now (Spanish), or None if it may.

    The rules of registering one: a deposit while Pendiente by the client's trader, a payout while
    En proceso by the assigned operator; a supervisor either.
    """
    if row.is_voided:
        return _voided_message(row)
    if isinstance(row, Deposit):
        if op.status != PENDING:
            return _("Deposits can only be voided while the operation is Pendiente (it is %(status)s).") % {
                "status": op.get_status_display()
            }
        if not can_edit_deposits(user, op):
            return _("You are not allowed to void deposits on this operation.")
        return None
    if op.status != IN_PROCESS:
        return _("Payouts can only be voided while the operation is En proceso (it is %(status)s).") % {
            "status": op.get_status_display()
        }
    if not can_edit_payouts(user, op):
        return _("Only the assigned operator or a supervisor can void payouts.")
    return None


def _void(user, op, row, reason, action, audit_action):
    row.voided_at = timezone.now()
    row.voided_by = user
    row.void_reason = reason
    row.save(update_fields=["voided_at", "voided_by", "void_reason"])
    _event(op, action, user, reason=reason, data=_child_data(row))
    audit.record(
        audit_action,
        op,
        actor=user,
        changes={"voided_at": [None, row.voided_at], "voided_by": [None, str(user)], "void_reason": [None, reason]},
        message=f"{row._meta.model_name} {row.pk}",
    )
    return row


def add_deposit(user, operation, **fields):
    """Register a client's deposit (abono): amount, client account charged, house account, voucher/ref."""
    with transaction.atomic():
        op = _lock(operation)
        _require_deposit_editor(user, op)
        clean = clean_deposit_fields(op, fields)
        deposit = Deposit(operation=op, created_by=user, **clean)
        _store_voucher(deposit)
        deposit.save()
        data = _child_data(deposit)
        _event(op, EventAction.DEPOSIT_ADDED, user, data=data)
        audit.record("operation.deposit_add", op, actor=user, changes={"deposit": [None, data]})
    return deposit


def _update_child(user, child, fields, *, model, require_editor, clean_fields, event_action, audit_action):
    """Change a deposit or payout under the operation's lock; events and audit only when something changed."""
    label = model._meta.model_name
    with transaction.atomic():
        op = _lock(child.operation_id)
        require_editor(user, op)
        child = _lock_editable_child(model, child, op)
        before = _child_data(child)
        for name, value in clean_fields(op, fields, current=child).items():
            setattr(child, name, value)
        _store_voucher(child)
        child.save()
        after = _child_data(child)
        if before == after:
            return child
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        _event(op, event_action, user, data={"id": child.pk, **changes})
        audit.record(audit_action, op, actor=user, changes=changes, message=f"{label} {child.pk}")
    return child


def update_deposit(user, deposit, **fields):
    return _update_child(
        user,
        deposit,
        fields,
        model=Deposit,
        require_editor=_require_deposit_editor,
        clean_fields=clean_deposit_fields,
        event_action=EventAction.DEPOSIT_CHANGED,
        audit_action="operation.deposit_change",
    )


def void_deposit(user, deposit, reason):
    """Void (anular) a mistaken deposit while Pendiente: it stays listed with its voucher, who voided it,
    when and why, and stops counting. Deposits are never deleted."""
    with transaction.atomic():
        op = _lock(deposit.operation_id)
        deposit = _lock_child(Deposit, deposit, op)
        refused = void_refusal(user, op, deposit)
        if refused:
            raise OperationError(refused)
        return _void(user, op, deposit, _reason(reason), EventAction.DEPOSIT_VOIDED, "operation.deposit_void")


def add_payout(user, operation, **fields):
    """Register a payout to the client (at most Payout.MAX_PER_OPERATION per operation)."""
    with transaction.atomic():
        op = _lock(operation)
        _require_payout_editor(user, op)
        if op.payouts.not_voided().count() >= Payout.MAX_PER_OPERATION:
            raise OperationError(_("An operation admits at most %(max)s payouts.") % {"max": Payout.MAX_PER_OPERATION})
        clean = clean_payout_fields(op, fields)
        payout = Payout(operation=op, created_by=user, **clean)
        _store_voucher(payout)
        payout.save()
        data = _child_data(payout)
        _event(op, EventAction.PAYOUT_ADDED, user, data=data)
        audit.record("operation.payout_add", op, actor=user, changes={"payout": [None, data]})
    return payout


def update_payout(user, payout, **fields):
    return _update_child(
        user,
        payout,
        fields,
        model=Payout,
        require_editor=_require_payout_editor,
        clean_fields=clean_payout_fields,
        event_action=EventAction.PAYOUT_CHANGED,
        audit_action="operation.payout_change",
    )


def void_payout(user, payout, reason):
    """Void (anular) a mistaken payout while En proceso; same rules as registering one. It stays listed
    with its voucher and stops counting (also towards the 4-payout limit). Payouts are never deleted."""
    with transaction.atomic():
        op = _lock(payout.operation_id)
        payout = _lock_child(Payout, payout, op)
        refused = void_refusal(user, op, payout)
        if refused:
            raise OperationError(refused)
        return _void(user, op, payout, _reason(reason), EventAction.PAYOUT_VOIDED, "operation.payout_void")


# --- Transitions -----------------------------------------------------------------------------------------


def _currency_symbol(currency):
    return "US$" if currency == Currency.USD else "S/"


def _sum_mismatch(what, total, expected, currency):
    symbol = _currency_symbol(currency)
    diff = expected - total
    if diff > 0:
        gap = _("%(amount)s missing") % {"amount": f"{symbol} {money.fmt(diff)}"}
    else:
        gap = _("%(amount)s too much") % {"amount": f"{symbol} {money.fmt(-diff)}"}
    return OperationError(
        _("The %(what)s add up to %(total)s but must be exactly %(expected)s (%(gap)s).")
        % {
            "what": what,
            "total": f"{symbol} {money.fmt(total)}",
            "expected": f"{symbol} {money.fmt(expected)}",
            "gap": gap,
        }
    )


def deposit_problem(op):
    """What stops `op` from going to process (an OperationError to raise or show), or None."""
    # Numbered as listed on the page (voided rows included), checked and added up without the voided ones.
    deposits = [(i, d) for i, d in enumerate(op.deposits.order_by("id"), start=1) if not d.is_voided]
    if not deposits:
        return OperationError(_("Register the client's deposits before sending the operation to process."))
    for i, d in deposits:
        if not d.file and not d.bank_reference.strip():
            return OperationError(
                _("Deposit %(n)s (%(amount)s) has neither a voucher nor a bank operation number.")
                % {"n": i, "amount": money.fmt(d.amount)}
            )
    total = sum((d.amount for _i, d in deposits), money.ZERO)
    if total != op.client_sends_amount:
        return _sum_mismatch(_("client's deposits"), total, op.client_sends_amount, op.client_sends_currency)
    return None


def payout_problem(op):
    """What stops `op` from being completed, or None."""
    payouts = [(i, p) for i, p in enumerate(op.payouts.order_by("id"), start=1) if not p.is_voided]
    if not payouts:
        return OperationError(_("Register the payouts to the client before completing the operation."))
    for i, p in payouts:
        if not p.file:
            return OperationError(
                _("Payout %(n)s (%(amount)s) has no voucher.") % {"n": i, "amount": money.fmt(p.amount)}
            )
    total = sum((p.amount for _i, p in payouts), money.ZERO)
    if total != op.client_receives_amount:
        return _sum_mismatch(_("payouts to the client"), total, op.client_receives_amount, op.client_receives_currency)
    return None


def send_to_process(user, operation):
    """Pendiente → En proceso: deposits must add up exactly to what the client sends; assigns an operator."""
    t = transition("send_to_process")
    with transaction.atomic():
        op = _lock(operation)
        _refuse_transition(t, op, user)
        problem = deposit_problem(op)
        if problem:
            raise problem
        total = op.deposits_total
        operator = pick_operator()
        op.status = IN_PROCESS
        op.sent_to_process_at = timezone.now()
        op.assigned_operator = operator
        op.save(update_fields=["status", "sent_to_process_at", "assigned_operator", "updated_at"])
        data = {"operator": str(operator) if operator else None, "deposits_total": str(total)}
        _event(op, EventAction.SENT_TO_PROCESS, user, from_status=PENDING, to_status=IN_PROCESS, data=data)
        audit.record(
            "operation.send_to_process",
            op,
            actor=user,
            changes={"status": [PENDING, IN_PROCESS], "assigned_operator": [None, data["operator"]]},
        )
    return op


def return_to_pending(user, operation, reason, notify=True):
    """En proceso → Pendiente (assigned operator or supervisor), with a reason. The client's current
    owner (the trader who must fix it) is told by e-mail once it commits, and sees it on the index."""
    t = transition("return_to_pending")
    with transaction.atomic():
        op = _lock(operation)
        _refuse_transition(t, op, user)
        reason = _reason(reason)
        previous = op.assigned_operator
        op.status = PENDING
        op.sent_to_process_at = None
        op.assigned_operator = None
        op.save(update_fields=["status", "sent_to_process_at", "assigned_operator", "updated_at"])
        data = {"operator": str(previous) if previous else None}
        event = _event(
            op, EventAction.RETURNED, user, from_status=IN_PROCESS, to_status=PENDING, reason=reason, data=data
        )
        audit.record(
            "operation.return_to_pending", op, actor=user, changes={"status": [IN_PROCESS, PENDING]}, message=reason
        )
        if notify:
            emails.returned_operation_on_commit(op.pk, event.pk)
    return op


def returned_operations(user):
    """Pendiente operations of `user`'s own clients whose last status change was a return (En proceso →
    Pendiente): the trader must fix them and send them again, or cancel them. Newest return first; each
    carries `returned_event_id` (the RETURNED event, for its reason, author and time).

    "Last status change" rather than "last event": registering or fixing a deposit after the return
    does not hide the operation; sending it again or cancelling it does.
    """
    if not (user and user.is_authenticated and user.has_perm("operations.add_operation")):
        return Operation.objects.none()
    last_move = OperationEvent.objects.filter(operation=OuterRef("pk")).exclude(to_status="").order_by("-at", "-id")
    return (
        Operation.objects.visible_to(user)
        .filter(client__owner=user, status=PENDING)
        .annotate(
            last_move_action=Subquery(last_move.values("action")[:1]),
            returned_event_id=Subquery(last_move.values("pk")[:1]),
            returned_at=Subquery(last_move.values("at")[:1]),
        )
        .filter(last_move_action=EventAction.RETURNED)
        .select_related("client")
        .order_by("-returned_at", "-id")
    )


def complete_operation(user, operation, notify=True):
    """En proceso → Completada: payouts must add up exactly to what the client receives, each with voucher."""
    t = transition("complete")
    with transaction.atomic():
        op = _lock(operation)
        _refuse_transition(t, op, user)
        problem = payout_problem(op)
        if problem:
            raise problem
        total = op.payouts_total
        op.status = COMPLETED
        op.completed_at = timezone.now()
        op.processed_by = user
        op.save(update_fields=["status", "completed_at", "processed_by", "updated_at"])
        data = {"payouts_total": str(total)}
        _event(op, EventAction.COMPLETED, user, from_status=IN_PROCESS, to_status=COMPLETED, data=data)
        audit.record(
            "operation.complete",
            op,
            actor=user,
            changes={"status": [IN_PROCESS, COMPLETED], "processed_by": [None, str(user)]},
        )
        if notify:
            emails.completed_operation_on_commit(op.pk)
    return op


def cancel_operation(user, operation, reason):
    """Pendiente → Cancelado (client's trader or supervisor); En proceso → Cancelado (supervisor only)."""
    t = transition("cancel")
    with transaction.atomic():
        op = _lock(operation)
        _refuse_transition(t, op, user)
        reason = _reason(reason)
        before = op.status
        op.status = CANCELLED
        op.cancelled_at = timezone.now()
        op.save(update_fields=["status", "cancelled_at", "updated_at"])
        _event(op, EventAction.CANCELLED, user, from_status=before, to_status=CANCELLED, reason=reason)
        audit.record("operation.cancel", op, actor=user, changes={"status": [before, CANCELLED]}, message=reason)
    return op


def reassign_operator(user, operation, operator, reason=""):
    """Supervisor moves an En proceso operation to another active operator."""
    t = transition("reassign")
    with transaction.atomic():
        op = _lock(operation)
        _refuse_transition(t, op, user)
        if operator is None:
            raise OperationError(_("Choose the operator."), "operator")
        operator_pk = operator.pk if hasattr(operator, "pk") else operator
        target = operator_candidates().filter(pk=operator_pk).first()
        if target is None:
            raise OperationError(_("That user is not an active operator."), "operator")
        if target.pk == op.assigned_operator_id:
            raise OperationError(_("The operation is already assigned to %(user)s.") % {"user": target}, "operator")
        previous = op.assigned_operator
        op.assigned_operator = target
        op.save(update_fields=["assigned_operator", "updated_at"])
        data = {"from": str(previous) if previous else None, "to": str(target)}
        _event(op, EventAction.REASSIGNED, user, reason=(reason or "").strip(), data=data)
        audit.record(
            "operation.reassign_operator",
            op,
            actor=user,
            changes={"assigned_operator": [data["from"], data["to"]]},
            message=(reason or "").strip(),
        )
    return op


def run_transition(name, user, operation, *, reason="", operator=None):
    """Dispatch used by the confirmation views."""
    if name == "send_to_process":
        return send_to_process(user, operation)
    if name == "return_to_pending":
        return return_to_pending(user, operation, reason)
    if name == "complete":
        return complete_operation(user, operation)
    if name == "cancel":
        return cancel_operation(user, operation, reason)
    if name == "reassign":
        return reassign_operator(user, operation, operator, reason)
    raise OperationError(_("Unknown action."))
