"""Treasury use cases: opening balances, manual movements (transfers, fees, interbank currency deals,
other), voiding them, bank statements and reconciled days. All need operations.manage_treasury.

Every change locks the house accounts it touches (in id order, so two transfers between the same
accounts in opposite directions queue instead of deadlocking) and then checks the reconciled days:
a movement or opening dated on or before a reconciled day of its account would change a balance
someone signed off, so it is refused until that day is reopened.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from clients.models import Currency
from operations import treasury, treasury_ledger
from operations.models import (
    BankStatement,
    HouseBankAccount,
    OpeningBalance,
    TreasuryAction,
    TreasuryEntry,
    TreasuryKind,
    TreasuryLeg,
)
from operations.services.common import parse_id, require_reason
from qoricash import display, money

MAX_AMOUNT = Decimal("999999999999.99")
MIN_DATE = dt.date(2000, 1, 1)


def _require_manager(by):
    if not (by and by.is_authenticated and by.has_perm("operations.manage_treasury")):
        raise PermissionDenied(_("You are not allowed to manage the treasury."))


def _amount(value, field, *, signed=False):
    """A typed amount → Decimal with at most 2 decimals (positive unless `signed`), or a field error."""
    try:
        amount = money.to_decimal(value if value not in (None, "") else "x")
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter the amount as a number, e.g. 1250.50.")}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter the amount as a number, e.g. 1250.50.")})
    if abs(amount) > MAX_AMOUNT:
        raise ValidationError({field: _("The amount cannot exceed %(max)s.") % {"max": money.fmt(MAX_AMOUNT)}})
    if amount != money.cents(amount):
        raise ValidationError({field: _("The amount admits at most 2 decimals.")})
    if not signed and amount <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    return money.cents(amount)


def _date(value, field="date"):
    """A date (or ISO text) between 2000 and today (Lima), or a field error."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError({field: _("Enter a valid date.")}) from None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({field: _("Enter a valid date.")})
    today = treasury.lima_today()
    if value > today:
        raise ValidationError(
            {field: _("The date cannot be in the future (today is %(today)s).") % {"today": display.date(today)}}
        )
    if value < MIN_DATE:
        raise ValidationError({field: _("The date cannot be before %(min)s.") % {"min": display.date(MIN_DATE)}})
    return value


def _account_id(value, field):
    pk = value.pk if isinstance(value, HouseBankAccount) else parse_id(value)
    if pk is None:
        raise ValidationError({field: _("Choose the house account.")})
    return pk


def lock_accounts(*ids):
    """The house accounts `ids`, locked until the transaction ends, in id order (no deadlock)."""
    wanted = sorted(set(ids))
    found = {a.pk: a for a in HouseBankAccount.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    return found, [pk for pk in wanted if pk not in found]


def _locked(ids_by_field):
    """{field: locked account}; a field error for an id that names no house account."""
    found, missing = lock_accounts(*ids_by_field.values())
    for field, pk in ids_by_field.items():
        if pk in missing:
            raise ValidationError({field: _("That house account does not exist.")})
    return {field: found[pk] for field, pk in ids_by_field.items()}


def reconciled_refusal(account, day):
    """A ValidationError when a reconciled day of `account` on or after `day` exists, or None."""
    closed = (
        BankStatement.objects.filter(account=account, date__gte=day, reconciled_at__isnull=False)
        .order_by("date")
        .first()
    )
    if closed is None:
        return None
    return ValidationError(
        _(
            "The day %(day)s of account %(account)s is reconciled: a movement dated %(date)s would change its "
            "balance. Reopen that day first (with a reason)."
        )
        % {"day": display.date(closed.date), "account": account, "date": display.date(day)}
    )


def _check_open(account, day):
    refused = reconciled_refusal(account, day)
    if refused:
        raise refused
    has_opening = OpeningBalance.objects.filter(account=account, date__lte=day).exists()
    if not has_opening:
        raise ValidationError(
            {
                "date": _(
                    "Account %(account)s has no opening balance on or before %(date)s: set one first, or date "
                    "the movement later."
                )
                % {"account": account, "date": display.date(day)}
            }
        )


# --- Opening balances -----------------------------------------------------------------------------------


def set_opening_balance(*, by, account, date, amount, note=""):
    """A new opening balance of `account` at the start of `date` (supersedes older ones from then on)."""
    _require_manager(by)
    account_pk = _account_id(account, "account")
    day = _date(date)
    amount = _amount(amount, "amount", signed=True)
    with transaction.atomic():
        account = _locked({"account": account_pk})["account"]
        refused = reconciled_refusal(account, day)
        if refused:
            raise refused
        opening = OpeningBalance(account=account, date=day, amount=amount, note=(note or "").strip()[:200], set_by=by)
        opening.full_clean()
        opening.save()
        treasury_ledger.rebuild_from(account.pk, day)
        audit.record(
            TreasuryAction.OPENING_SET,
            opening,
            actor=by,
            changes={"account": [None, str(account)], "date": [None, day], "amount": [None, amount]},
            message=opening.note,
        )
    return opening


# --- Manual movements ------------------------------------------------------------------------------------


def _legs(kind, accounts, amount, rate, direction):
    """[(account, signed amount)] of a new entry of `kind`, or a field error."""
    account, other = accounts.get("account"), accounts.get("counter_account")
    if kind == TreasuryKind.FEE:
        return [(account, -amount)]
    if kind == TreasuryKind.OTHER:
        if direction not in ("in", "out"):
            raise ValidationError({"direction": _("Choose whether the money comes in or goes out.")})
        return [(account, amount if direction == "in" else -amount)]
    if other is None:
        raise ValidationError({"counter_account": _("Choose the other house account.")})
    if other.pk == account.pk:
        raise ValidationError({"counter_account": _("Choose two different accounts.")})
    if kind == TreasuryKind.TRANSFER:
        if account.currency != other.currency:
            raise ValidationError(
                {"counter_account": _("A transfer moves money between two accounts of the same currency.")}
            )
        return [(account, -amount), (other, amount)]
    # Currency deals: the amount is in USD and the rate gives the soles.
    if rate is None:
        raise ValidationError({"rate": _("Enter the exchange rate of the deal.")})
    if {account.currency, other.currency} != {Currency.USD, Currency.PEN}:
        raise ValidationError({"counter_account": _("A currency deal needs one USD account and one PEN account.")})
    usd, pen = (account, other) if account.currency == Currency.USD else (other, account)
    soles = money.cents(amount * rate)
    if kind == TreasuryKind.FX_BUY:
        return [(pen, -soles), (usd, amount)]
    return [(usd, -amount), (pen, soles)]


def _rate(value):
    if value in (None, ""):
        return None
    try:
        rate = money.to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationError({"rate": _("The exchange rate is not a valid number.")}) from None
    if not rate.is_finite() or abs(rate) > 1000 or rate != money.rate(rate):
        raise ValidationError({"rate": _("The exchange rate admits at most 4 decimals.")})
    return rate


def record_movement(
    *, by, kind, date, account, amount, counter_account=None, rate=None, direction="", reason="", reference=""
):
    """Register a manual treasury movement; a transfer or a currency deal moves both accounts at once.

    `amount` is positive: what leaves `account` in a transfer or a fee, the USD of a currency deal
    (`rate` gives the soles), and for "other" the money in or out as `direction` says (a reason is
    required)."""
    _require_manager(by)
    if kind not in TreasuryKind.values or kind == TreasuryKind.VOID:
        raise ValidationError({"kind": _("Choose the kind of movement.")})
    day = _date(date)
    amount = _amount(amount, "amount")
    rate = _rate(rate) if kind in (TreasuryKind.FX_BUY, TreasuryKind.FX_SELL) else None
    reason = (reason or "").strip()
    if kind == TreasuryKind.OTHER and not reason:
        raise ValidationError({"reason": _("Say what this movement is: a reason is required for “Other”.")})
    ids = {"account": _account_id(account, "account")}
    if kind not in (TreasuryKind.FEE, TreasuryKind.OTHER) and counter_account not in (None, ""):
        ids["counter_account"] = _account_id(counter_account, "counter_account")
    with transaction.atomic():
        accounts = _locked(ids)
        legs = _legs(kind, accounts, amount, rate, direction)
        entry = TreasuryEntry(
            kind=kind,
            date=day,
            rate=rate,
            reason=reason[:2000],
            reference=(reference or "").strip()[:40],
            created_by=by,
        )
        entry.full_clean()
        for leg_account, _signed in legs:
            _check_open(leg_account, day)
        entry.save()
        TreasuryLeg.objects.bulk_create(
            [TreasuryLeg(entry=entry, account=a, date=day, amount=signed) for a, signed in legs]
        )
        treasury_ledger.refresh([(a.pk, day) for a, _signed in legs])
        audit.record(
            TreasuryAction.ENTRY_CREATED,
            entry,
            actor=by,
            changes={
                "kind": [None, kind],
                "date": [None, day],
                "rate": [None, rate],
                "legs": [None, [f"{a} {signed}" for a, signed in legs]],
            },
            message=reason,
        )
    return entry


def void_entry(entry, *, by, reason):
    """Cancel a treasury movement with a voiding entry of the same date (its legs reversed)."""
    _require_manager(by)
    reason = require_reason(reason)
    pk = entry.pk if isinstance(entry, TreasuryEntry) else parse_id(entry)
    with transaction.atomic():
        original = TreasuryEntry.objects.filter(pk=pk).first() if pk else None
        if original is None:
            raise ValidationError(_("That treasury movement does not exist."))
        legs = list(original.legs.all())
        lock_accounts(*[leg.account_id for leg in legs])
        original = TreasuryEntry.objects.select_for_update().get(pk=original.pk)
        if original.kind == TreasuryKind.VOID:
            raise ValidationError(_("A voiding entry cannot be voided; register a new movement instead."))
        if TreasuryEntry.objects.filter(voids=original).exists():
            raise ValidationError(_("This movement is already voided."))
        for leg in legs:
            refused = reconciled_refusal(leg.account, original.date)
            if refused:
                raise refused
        void = TreasuryEntry.objects.create(
            kind=TreasuryKind.VOID, date=original.date, reason=reason, voids=original, created_by=by
        )
        TreasuryLeg.objects.bulk_create(
            [TreasuryLeg(entry=void, account_id=leg.account_id, date=original.date, amount=-leg.amount) for leg in legs]
        )
        treasury_ledger.refresh([(leg.account_id, original.date) for leg in legs])
        audit.record(
            TreasuryAction.ENTRY_VOIDED,
            original,
            actor=by,
            changes={"voided_by_entry": [None, void.pk]},
            message=reason,
        )
    return void


# --- Statements and reconciliation -------------------------------------------------------------------------


def enter_statement(*, by, account, date, closing_balance, note=""):
    """Enter (or correct, while the day is not reconciled) the bank statement's closing balance."""
    _require_manager(by)
    account_pk = _account_id(account, "account")
    day = _date(date)
    closing = _amount(closing_balance, "closing_balance", signed=True)
    with transaction.atomic():
        account = _locked({"account": account_pk})["account"]
        statement = BankStatement.objects.select_for_update().filter(account=account, date=day).first()
        before = None
        if statement is None:
            statement = BankStatement(account=account, date=day)
        elif statement.is_reconciled:
            raise ValidationError(
                _("The day %(day)s of account %(account)s is reconciled: reopen it to change its statement.")
                % {"day": display.date(day), "account": account}
            )
        else:
            before = statement.closing_balance
        statement.closing_balance = closing
        statement.entered_by = by
        if note:
            statement.note = note.strip()[:2000]
        statement.full_clean()
        statement.save()
        if before != closing:
            audit.record(
                TreasuryAction.STATEMENT_ENTERED,
                statement,
                actor=by,
                changes={"closing_balance": [before, closing]},
            )
    return statement


def reconcile_day(*, by, account, date, note=""):
    """Mark a finished day reconciled: its statement must be entered; a difference needs a note."""
    _require_manager(by)
    account_pk = _account_id(account, "account")
    day = _date(date)
    if day >= treasury.lima_today():
        raise ValidationError(_("Only a finished day can be reconciled: today's movements are still coming in."))
    with transaction.atomic():
        account = _locked({"account": account_pk})["account"]
        statement = BankStatement.objects.select_for_update().filter(account=account, date=day).first()
        if statement is None:
            raise ValidationError(_("Enter the bank statement's closing balance first."))
        if statement.is_reconciled:
            raise ValidationError(_("The day is already reconciled."))
        balance = treasury.balance_of(account, day)
        if balance is None:
            raise ValidationError(
                _("Account %(account)s has no opening balance on or before %(date)s: nothing to reconcile.")
                % {"account": account, "date": display.date(day)}
            )
        difference = money.cents(statement.closing_balance - balance)
        note = (note or "").strip()
        if difference and not note:
            raise ValidationError(
                {
                    "note": _("The statement differs from the system by %(diff)s: explain the difference to reconcile.")
                    % {"diff": display.money(difference, account.currency)}
                }
            )
        statement.system_balance = balance
        statement.reconciled_by = by
        statement.reconciled_at = timezone.now()
        if note:
            statement.note = note[:2000]
        statement.save()
        audit.record(
            TreasuryAction.DAY_RECONCILED,
            statement,
            actor=by,
            changes={
                "closing_balance": [None, statement.closing_balance],
                "system_balance": [None, balance],
                "difference": [None, difference],
            },
            message=note,
        )
    return statement


def reopen_day(*, by, account, date, reason):
    """Reopen a reconciled day (a reason is required) so it can receive back-dated movements."""
    _require_manager(by)
    reason = require_reason(reason)
    account_pk = _account_id(account, "account")
    day = _date(date)
    with transaction.atomic():
        account = _locked({"account": account_pk})["account"]
        statement = BankStatement.objects.select_for_update().filter(account=account, date=day).first()
        if statement is None or not statement.is_reconciled:
            raise ValidationError(_("The day is not reconciled."))
        previous = (str(statement.reconciled_by), statement.reconciled_at)
        statement.reconciled_by = None
        statement.reconciled_at = None
        statement.system_balance = None
        statement.save()
        audit.record(
            TreasuryAction.DAY_REOPENED,
            statement,
            actor=by,
            changes={"reconciled_by": [previous[0], None], "reconciled_at": [previous[1], None]},
            message=reason,
        )
    return statement
