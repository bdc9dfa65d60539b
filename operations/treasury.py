"""The house accounts' balances, computed in the database (read side of treasury).

A day is a Lima day: a deposit or payout belongs to the day of its `created_at` in America/Lima, a
treasury leg to its entry's date. The balance at the end of day D is the latest opening on or before
D plus every deposit (in), payout (out) and treasury leg (signed) from that opening's date to D;
voided deposits and payouts count nowhere (as everywhere else), a voided treasury entry is cancelled
by its voiding entry's legs. An account with no opening on or before D has no balance that day.

That sum is stored day by day (`AccountDayBalance`, written by operations.treasury_ledger with every
movement), so reading a balance reads a few rows, not every movement since the opening.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import DecimalField, F, Func, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.models import Currency
from operations.models import (
    AccountDayBalance,
    BankStatement,
    Deposit,
    HouseBankAccount,
    OpeningBalance,
    Operation,
    OperationStatus,
    OperationType,
    Payout,
    TreasuryLeg,
)
from qoricash import money

LIMA = ZoneInfo("America/Lima")
ZERO = money.ZERO
_MONEY = DecimalField(max_digits=20, decimal_places=2)


def lima_today(now=None) -> dt.date:
    return timezone.localtime(now or timezone.now(), LIMA).date()


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[00:00, 24:00) of a Lima day as aware datetimes."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=LIMA)
    return start, start + dt.timedelta(days=1)


def accounts_with_balances(day: dt.date, accounts=None):
    """House accounts annotated with their balance at the end of `day` and that day's money, in one
    query that reads a few stored rows per account (`AccountDayBalance`, kept by
    operations.treasury_ledger), however many movements there are: opening_date, opening_amount,
    last_closing (the closing of the latest stored day between the opening and `day`), day_in,
    day_out, and the day's statement (statement_balance, reconciled_at)."""
    accounts = accounts if accounts is not None else HouseBankAccount.objects.all()
    opening = OpeningBalance.objects.filter(account=OuterRef("pk"), date__lte=day).order_by("-date", "-id")
    stored = AccountDayBalance.objects.filter(account=OuterRef("pk"))
    latest = stored.filter(date__lte=day, date__gte=OuterRef("opening_date")).order_by("-date")
    today = stored.filter(date=day, date__gte=OuterRef("opening_date"))
    statement = BankStatement.objects.filter(account=OuterRef("pk"), date=day)
    return (
        accounts.annotate(
            opening_date=Subquery(opening.values("date")[:1]),
            opening_amount=Subquery(opening.values("amount")[:1], output_field=_MONEY),
        )
        .annotate(
            last_closing=Subquery(latest.values("closing_balance")[:1], output_field=_MONEY),
            day_in=Subquery(today.values("day_in")[:1], output_field=_MONEY),
            day_out=Subquery(today.values("day_out")[:1], output_field=_MONEY),
            statement_balance=Subquery(statement.values("closing_balance")[:1], output_field=_MONEY),
            statement_reconciled_at=Subquery(statement.values("reconciled_at")[:1]),
        )
        .order_by("currency", "bank", "id")
    )


@dataclass
class AccountBalance:
    account: HouseBankAccount
    opening_date: dt.date | None
    opening_amount: Decimal | None
    balance: Decimal | None
    day_in: Decimal
    day_out: Decimal
    statement_balance: Decimal | None
    reconciled_at: dt.datetime | None

    @property
    def has_opening(self):
        return self.opening_date is not None

    @property
    def start_balance(self):
        """Balance at the start of the day (end of the day before)."""
        if self.balance is None:
            return None
        return self.balance - self.day_in + self.day_out

    @property
    def difference(self):
        """Statement − system, when both are known."""
        if self.statement_balance is None or self.balance is None:
            return None
        return money.cents(self.statement_balance - self.balance)


def balances(day: dt.date, accounts=None) -> list[AccountBalance]:
    return [_balance_row(a) for a in accounts_with_balances(day, accounts)]


def _balance_row(a) -> AccountBalance:
    has_opening = a.opening_date is not None
    closing = a.last_closing if a.last_closing is not None else a.opening_amount
    return AccountBalance(
        account=a,
        opening_date=a.opening_date,
        opening_amount=a.opening_amount,
        balance=money.cents(closing) if has_opening else None,
        day_in=money.cents(a.day_in or ZERO) if has_opening else ZERO,
        day_out=money.cents(a.day_out or ZERO) if has_opening else ZERO,
        statement_balance=a.statement_balance,
        reconciled_at=a.statement_reconciled_at,
    )


def balance_of(account, day: dt.date) -> Decimal | None:
    """One account's balance at the end of `day` (None without an opening)."""
    found = balances(day, HouseBankAccount.objects.filter(pk=account.pk))
    return found[0].balance if found else None


@dataclass
class CurrencyTotal:
    currency: str
    balance: Decimal = ZERO
    accounts: int = 0
    without_opening: int = 0


def totals_by_currency(rows: list[AccountBalance]) -> list[CurrencyTotal]:
    totals = {c: CurrencyTotal(c) for c in Currency.values}
    for row in rows:
        total = totals.setdefault(row.account.currency, CurrencyTotal(row.account.currency))
        total.accounts += 1
        if row.balance is None:
            total.without_opening += 1
        else:
            total.balance += row.balance
    return [t for t in totals.values() if t.accounts]


# --- The day's movements ----------------------------------------------------------------------------------


@dataclass
class DayMovement:
    account_id: int
    at: dt.datetime | dt.date
    kind: str
    label: str
    amount: Decimal  # signed: + in, − out
    operation_id: int | None = None
    entry: object = None
    detail: str = ""


def day_movements(day: dt.date, accounts=None) -> dict[int, list[DayMovement]]:
    """{account id: its movements of `day`} (deposits, payouts and treasury legs), in order."""
    from django.utils.translation import gettext as _

    start, end = day_bounds(day)
    account_ids = None if accounts is None else list(accounts.values_list("pk", flat=True))
    out: dict[int, list[DayMovement]] = {}

    def scoped(qs, account_field):
        return qs if account_ids is None else qs.filter(**{f"{account_field}__in": account_ids})

    for model, sign, label in ((Deposit, 1, _("Client deposit")), (Payout, -1, _("Payout to client"))):
        rows = scoped(model.objects.not_voided(), "house_account").filter(created_at__gte=start, created_at__lt=end)
        for row in rows.select_related("operation__client").order_by("created_at", "id"):
            out.setdefault(row.house_account_id, []).append(
                DayMovement(
                    account_id=row.house_account_id,
                    at=row.created_at,
                    kind=model.kind(),
                    label=str(label),
                    amount=row.amount * sign,
                    operation_id=row.operation_id,
                    detail=f"{row.operation.code} · {row.operation.client.display_name}",
                )
            )
    legs = scoped(TreasuryLeg.objects.all(), "account").filter(date=day)
    for leg in legs.select_related("entry__created_by", "entry__voided_by_entry").order_by("entry__created_at", "id"):
        entry = leg.entry
        out.setdefault(leg.account_id, []).append(
            DayMovement(
                account_id=leg.account_id,
                at=entry.created_at,
                kind=entry.kind,
                label=entry.get_kind_display(),
                amount=leg.amount,
                entry=entry,
                detail=entry.reason or entry.reference,
            )
        )
    for rows in out.values():
        rows.sort(key=lambda m: m.at)
    return out


# --- Payouts waiting to go out ----------------------------------------------------------------------------


# What each currency's operations En proceso still owe their clients: the client receives PEN in a
# Compra and USD in a Venta; payouts already registered are out of the balances already.
_OWED = {Currency.PEN: (OperationType.BUY, "amount_pen"), Currency.USD: (OperationType.SELL, "amount_usd")}


def _still_owed(amount_field):
    """Per operation: its amount to pay minus its payouts that count (a correlated subquery)."""
    paid = (
        Payout.objects.not_voided()
        .filter(operation=OuterRef("pk"))
        .order_by()
        .values("operation")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return F(amount_field) - Coalesce(Subquery(paid, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def _due_subquery(currency):
    """The currency's payouts due as a scalar subquery (one figure for every outer row)."""
    op_type, field = _OWED[currency]
    owed = (
        Operation.objects.filter(status=OperationStatus.IN_PROCESS, type=op_type)
        .order_by()
        .annotate(total=Func(_still_owed(field), function="SUM", output_field=_MONEY))
        .values("total")
    )
    return Coalesce(Subquery(owed[:1], output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def payouts_due() -> dict[str, Decimal]:
    """What operations En proceso still have to pay their clients, per currency, in one query."""
    data = Operation.objects.filter(status=OperationStatus.IN_PROCESS).aggregate(
        **{
            currency: Coalesce(Sum(_still_owed(field), filter=Q(type=op_type)), Value(ZERO), output_field=_MONEY)
            for currency, (op_type, field) in _OWED.items()
        }
    )
    return {c: money.cents(max(data[c], ZERO)) for c in _OWED}


@dataclass
class CoverageWarning:
    currency: str
    due: Decimal
    available: Decimal
    best_account: HouseBankAccount | None
    best_balance: Decimal | None
    short: bool  # the currency's total does not cover what is due
    accounts: list = field(default_factory=list)

    @property
    def missing(self):
        return money.cents(self.due - self.available)


def coverage_warnings(now=None) -> list[CoverageWarning]:
    """Per currency, when the active accounts' balances today do not cover the payouts due: either
    all of them together fall short, or none covers them alone (a transfer is needed first). A
    currency whose accounts have no opening balance yet is skipped: unknown is not zero.

    One query (the index's panel): the accounts' stored balances with the payouts due on each row."""
    accounts = accounts_with_balances(lima_today(now), HouseBankAccount.objects.filter(is_active=True)).annotate(
        **{f"due_{currency}": _due_subquery(currency) for currency in _OWED}
    )
    found = list(accounts)
    if not found:
        return []
    due = {c: money.cents(max(getattr(found[0], f"due_{c}"), ZERO)) for c in _OWED}
    rows = [_balance_row(a) for a in found]
    warnings = []
    for currency, amount in due.items():
        if not amount:
            continue
        mine = [r for r in rows if r.account.currency == currency and r.balance is not None]
        if not mine:
            continue  # no opening balance in this currency yet: its balances are unknown, not zero
        available = money.cents(sum((r.balance for r in mine), ZERO))
        best = max(mine, key=lambda r: r.balance, default=None)
        best_balance = best.balance if best else None
        if available < amount or best_balance is None or best_balance < amount:
            warnings.append(
                CoverageWarning(
                    currency=currency,
                    due=amount,
                    available=available,
                    best_account=best.account if best else None,
                    best_balance=best_balance,
                    short=available < amount,
                    accounts=mine,
                )
            )
    return warnings
