"""The stored day balances of the house accounts (`AccountDayBalance`): the write side of treasury.

Every change to an account's money calls `refresh` (a deposit or payout registered, changed or
voided, a treasury entry or its voiding) or `rebuild_from` (a new opening balance) inside its own
transaction, so the stored balances commit or roll back with the movement. Both lock the account
rows first (in id order, as the treasury services do): two movements of one account queue instead of
one overwriting the other's balance. A movement locks its operation before its account and treasury
never locks an operation, so the order is always operation → account and no deadlock can form.

A day's row is recomputed from that day's movements (a bounded read through the (house_account,
created_at) and (account, date) indexes), and the difference it makes is added to every later row up
to the account's next opening: a back-dated movement moves all the balances after it, an ordinary one
(today) touches one row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from operations.models import AccountDayBalance, Deposit, HouseBankAccount, OpeningBalance, Payout, TreasuryLeg
from operations.treasury import LIMA, day_bounds
from qoricash import money

ZERO = money.ZERO


def lima_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, LIMA).date()


@dataclass
class DayMoney:
    day_in: Decimal = ZERO
    day_out: Decimal = ZERO
    movements: int = 0

    def add(self, amount, count):
        """A signed amount (+ in, − out) of `count` movements."""
        if amount >= 0:
            self.day_in += amount
        else:
            self.day_out -= amount
        self.movements += count


def _lock(account_ids):
    list(HouseBankAccount.objects.select_for_update().filter(pk__in=sorted(set(account_ids))).order_by("pk"))


def _money_by_day(account_id, first=None, last=None) -> dict[dt.date, DayMoney]:
    """{Lima day: its money} of one account between `first` and `last` (inclusive, open when None)."""
    days: dict[dt.date, DayMoney] = defaultdict(DayMoney)
    for model, sign in ((Deposit, 1), (Payout, -1)):
        rows = model.objects.not_voided().filter(house_account_id=account_id)
        if first is not None:
            rows = rows.filter(created_at__gte=day_bounds(first)[0])
        if last is not None:
            rows = rows.filter(created_at__lt=day_bounds(last)[1])
        grouped = (
            rows.annotate(day=TruncDate("created_at", tzinfo=LIMA))
            .order_by()
            .values("day")
            .annotate(total=Sum("amount"), n=Count("id"))
        )
        for row in grouped:
            days[row["day"]].add(sign * row["total"], row["n"])
    legs = TreasuryLeg.objects.filter(account_id=account_id)
    if first is not None:
        legs = legs.filter(date__gte=first)
    if last is not None:
        legs = legs.filter(date__lte=last)
    # Ins and outs apart: a transfer's leg and its voiding leg on the same day show as both.
    for row in legs.order_by().values("date", "amount").annotate(n=Count("id")):
        days[row["date"]].add(row["amount"] * row["n"], row["n"])
    return dict(days)


def _openings(account_id) -> list[tuple[dt.date, Decimal]]:
    """The effective openings of an account, oldest first: per date, the newest row."""
    effective = {}
    for date, amount in (
        OpeningBalance.objects.filter(account_id=account_id).order_by("date", "id").values_list("date", "amount")
    ):
        effective[date] = amount
    return sorted(effective.items())


def running_rows(openings, days, start_balance=None, start=None):
    """The rows [(date, DayMoney, closing)] from `days` ({date: DayMoney}) and `openings` [(date,
    amount)] oldest first; a day before the first opening has none. `start_balance` is the closing
    of the last row before `start` when that row is in the same opening's span."""
    rows = []
    current, balance = None, None
    for day in sorted(days):
        opening = next((o for o in reversed(openings) if o[0] <= day), None)
        if opening is None:
            continue
        if opening is not current:
            current = opening
            in_span = start_balance is not None and start is not None and opening[0] < start
            balance = start_balance if in_span and day >= start else opening[1]
        found = days[day]
        if not found.movements:
            continue
        balance = money.cents(balance + found.day_in - found.day_out)
        rows.append((day, found, balance))
    return rows


def rebuild_from(account_id, start: dt.date | None = None):
    """Recompute the account's rows from `start` on (every row when None) from its movements: a new
    opening (from its date), or data written around the services (the generator, demo data)."""
    _lock([account_id])
    openings = _openings(account_id)
    stale = AccountDayBalance.objects.filter(account_id=account_id)
    if start is not None:
        stale = stale.filter(date__gte=start)
    stale.delete()
    if not openings:
        return
    first = max(start, openings[0][0]) if start is not None else openings[0][0]
    before = None
    if start is not None:
        before = AccountDayBalance.objects.filter(account_id=account_id, date__lt=first).order_by("-date").first()
    rows = running_rows(
        openings,
        _money_by_day(account_id, first=first),
        start_balance=before.closing_balance if before else None,
        start=before.date + dt.timedelta(days=1) if before else None,
    )
    AccountDayBalance.objects.bulk_create(
        [
            AccountDayBalance(
                account_id=account_id,
                date=day,
                day_in=money.cents(found.day_in),
                day_out=money.cents(found.day_out),
                closing_balance=closing,
                movements=found.movements,
            )
            for day, found, closing in rows
        ]
    )


def rebuild_all():
    for account_id in HouseBankAccount.objects.order_by("pk").values_list("pk", flat=True):
        rebuild_from(account_id)


def refresh(pairs):
    """Recompute the rows of the (account id, day) pairs a movement changed and shift the later ones."""
    pairs = sorted({(a, d) for a, d in pairs if a is not None})
    _lock([a for a, _d in pairs])
    for account_id, day in pairs:
        _refresh_day(account_id, day)


def _refresh_day(account_id, day):
    opening = OpeningBalance.objects.filter(account_id=account_id, date__lte=day).order_by("-date", "-id").first()
    row = AccountDayBalance.objects.filter(account_id=account_id, date=day).first()
    if opening is None:  # before the first opening: no balance, no row
        if row is not None:
            row.delete()
        return
    previous = (
        AccountDayBalance.objects.filter(account_id=account_id, date__lt=day, date__gte=opening.date)
        .order_by("-date")
        .values_list("closing_balance", flat=True)
        .first()
    )
    base = previous if previous is not None else opening.amount
    found = _money_by_day(account_id, first=day, last=day).get(day, DayMoney())
    closing = money.cents(base + found.day_in - found.day_out)
    delta = closing - (row.closing_balance if row is not None else base)
    if found.movements:
        AccountDayBalance.objects.update_or_create(
            account_id=account_id,
            date=day,
            defaults={
                "day_in": money.cents(found.day_in),
                "day_out": money.cents(found.day_out),
                "closing_balance": closing,
                "movements": found.movements,
            },
        )
    elif row is not None:
        row.delete()
    if delta:
        later = AccountDayBalance.objects.filter(account_id=account_id, date__gt=day)
        next_opening = (
            OpeningBalance.objects.filter(account_id=account_id, date__gt=day)
            .order_by("date")
            .values_list("date", flat=True)
            .first()
        )
        if next_opening is not None:
            later = later.filter(date__lt=next_opening)
        later.update(closing_balance=F("closing_balance") + delta)


# --- Verification -------------------------------------------------------------------------------------


@dataclass
class Drift:
    account: HouseBankAccount
    date: dt.date
    stored: Decimal | None
    expected: Decimal | None


def drift(accounts=None) -> list[Drift]:
    """Every stored row that differs from the movements (missing, extra or another figure)."""
    out = []
    for account in accounts if accounts is not None else HouseBankAccount.objects.order_by("pk"):
        expected = {
            day: (money.cents(found.day_in), money.cents(found.day_out), closing, found.movements)
            for day, found, closing in running_rows(_openings(account.pk), _money_by_day(account.pk))
        }
        stored = {
            r.date: (r.day_in, r.day_out, r.closing_balance, r.movements)
            for r in AccountDayBalance.objects.filter(account=account)
        }
        for day in sorted(set(expected) | set(stored)):
            if expected.get(day) != stored.get(day):
                out.append(
                    Drift(
                        account,
                        day,
                        stored[day][2] if day in stored else None,
                        expected[day][2] if day in expected else None,
                    )
                )
    return out
