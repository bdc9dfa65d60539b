"""The stored day balances (operations.treasury_ledger) always equal the sum of the movements."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command

from clients.models import Currency
from operations import services, treasury, treasury_ledger
from operations.models import (
    AccountDayBalance,
    Deposit,
    ExchangeRate,
    OpeningBalance,
    Payout,
    TreasuryEntry,
    TreasuryKind,
    TreasuryLeg,
)
from operations.tests.factories import HouseBankAccountFactory

pytestmark = pytest.mark.django_db

D = Decimal


def day(n):
    """n days before today (Lima)."""
    return treasury.lima_today() - dt.timedelta(days=n)


def at(n, hour=11):
    return time_machine.travel(dt.datetime.combine(day(n), dt.time(hour), tzinfo=treasury.LIMA), tick=False)


def summed(account, on):
    """(balance, in, out) at the end of `on`, summed from every row as the definition says."""
    opening = OpeningBalance.objects.filter(account=account, date__lte=on).order_by("-date", "-id").first()
    if opening is None:
        return None, D("0"), D("0")
    balance, day_in, day_out = opening.amount, D("0"), D("0")
    for model, sign in ((Deposit, 1), (Payout, -1)):
        for row in model.objects.filter(house_account=account, voided_at__isnull=True):
            when = treasury_ledger.lima_day(row.created_at)
            if opening.date <= when <= on:
                balance += sign * row.amount
                if when == on:
                    day_in, day_out = (day_in + row.amount, day_out) if sign > 0 else (day_in, day_out + row.amount)
    for leg in TreasuryLeg.objects.filter(account=account, date__gte=opening.date, date__lte=on):
        balance += leg.amount
        if leg.date == on:
            day_in, day_out = (day_in + leg.amount, day_out) if leg.amount > 0 else (day_in, day_out - leg.amount)
    return balance, day_in, day_out


def assert_stored_equals_summed(accounts, days=range(8, -1, -1)):
    for n in days:
        rows = {r.account.pk: r for r in treasury.balances(day(n))}
        for account in accounts:
            row = rows[account.pk]
            assert (row.balance, row.day_in, row.day_out) == summed(account, day(n)), (account, n)
    assert treasury_ledger.drift() == []


def test_stored_balances_equal_the_sum_of_movements_after_every_kind_of_change(
    master, trader, operador, houses, make_operation, fund, pay, rate
):
    ExchangeRate.objects.filter(pk=rate.pk).update(effective_at=treasury.day_bounds(day(10))[0])
    usd, pen = houses[Currency.USD], houses[Currency.PEN]
    pen2 = HouseBankAccountFactory(currency=Currency.PEN)
    accounts = (usd, pen, pen2)
    services.set_opening_balance(by=master, account=usd, date=day(6), amount="1000.00")
    services.set_opening_balance(by=master, account=pen, date=day(6), amount="5000.00")
    services.set_opening_balance(by=master, account=pen2, date=day(6), amount="100.00")
    with at(4):  # a Compra funded in USD and paid out in PEN
        op = make_operation()
        fund(trader, op)
        op = services.send_to_process(op, by=trader)
        pay(operador, op)
    with at(3):  # a deposit voided, another registered and then corrected
        op2 = make_operation(amount_usd="500.00")
        services.void_movement(fund(trader, op2), by=trader, reason="Monto equivocado")
        corrected = services.update_movement(fund(trader, op2), by=trader, amount="400.00")
    assert_stored_equals_summed(accounts)
    # Back-dated treasury movements (today, dated days ago) move every later day's balance.
    transfer = services.record_movement(
        by=master, kind=TreasuryKind.TRANSFER, date=day(2), account=pen, counter_account=pen2, amount="250.00"
    )
    services.record_movement(by=master, kind=TreasuryKind.FEE, date=day(5), account=usd, amount="10.00")
    services.record_movement(
        by=master, kind=TreasuryKind.OTHER, date=day(1), account=pen, amount="99.99", direction="in", reason="Interés"
    )
    assert_stored_equals_summed(accounts)
    assert treasury.balance_of(usd, day(4)) == D("1990.00")  # 1000 − 10 + 1000
    services.void_entry(transfer, by=master, reason="Cuenta equivocada")
    fund(trader, make_operation())  # today
    assert_stored_equals_summed(accounts)
    # A new opening supersedes the older one from its date on; the days before it keep theirs.
    services.set_opening_balance(by=master, account=usd, date=day(3), amount="2000.00")
    assert_stored_equals_summed(accounts)
    assert treasury.balance_of(usd, day(4)) == D("1990.00")
    assert treasury.balance_of(usd, day(3)) == D("2400.00")
    assert treasury.balance_of(usd, day(0)) == D("3400.00")
    services.set_opening_balance(by=master, account=pen, date=day(8), amount="1.00")  # older than the rest
    assert_stored_equals_summed(accounts)
    assert corrected.amount == D("400.00") and TreasuryEntry.objects.filter(kind=TreasuryKind.VOID).count() == 1


def test_a_day_with_nothing_left_has_no_row_and_later_days_follow(master, trader, houses, make_operation, fund):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=day(2), amount="10.00")
    entry = services.record_movement(
        by=master, kind=TreasuryKind.OTHER, date=day(1), account=usd, amount="5.00", direction="in", reason="Ajuste"
    )
    fund(trader, make_operation())
    assert treasury.balance_of(usd, day(0)) == D("1015.00")
    services.void_entry(entry, by=master, reason="Duplicado")
    assert treasury.balance_of(usd, day(0)) == D("1010.00")
    assert AccountDayBalance.objects.get(account=usd, date=day(1)).movements == 2  # the entry and its voiding
    assert treasury_ledger.drift() == []


def test_the_index_panel_reads_the_balances_and_the_payouts_due_in_one_query(
    master, operador, in_process_op, houses, rf, django_assert_num_queries
):
    from operations.treasury_panels import coverage_panel

    pen = houses[Currency.PEN]
    services.set_opening_balance(by=master, account=pen, date=day(0), amount="3000.00")
    request = rf.get("/admin/")
    request.user = master
    master.has_perm("operations.view_treasury")  # the user's permissions are read once per request
    with django_assert_num_queries(1):
        ctx = coverage_panel(request)
    (warning,) = ctx["warnings"]
    assert (warning.currency, warning.due, warning.available, warning.missing) == (
        Currency.PEN,
        D("3700.00"),
        D("3000.00"),
        D("700.00"),
    )
    with django_assert_num_queries(1):
        assert treasury.payouts_due() == {Currency.PEN: D("3700.00"), Currency.USD: D("0.00")}


def test_verify_balances_reports_drift_and_fixes_it(master, houses):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=day(2), amount="10.00")
    services.record_movement(by=master, kind=TreasuryKind.FEE, date=day(1), account=usd, amount="1.00")
    out = io.StringIO()
    call_command("verify_balances", stdout=out)
    assert "Los saldos guardados coinciden con los movimientos: 2 cuentas." in out.getvalue()
    AccountDayBalance.objects.filter(account=usd).update(closing_balance=D("999.00"))
    out = io.StringIO()
    with pytest.raises(CommandError, match="^1 día difiere de los movimientos"):
        call_command("verify_balances", stdout=out)
    assert "guardado US$ 999.00, según los movimientos US$ 9.00" in out.getvalue()
    assert treasury.balance_of(usd, day(0)) == D("999.00")  # reported, not changed
    out = io.StringIO()
    call_command("verify_balances", "--fix", stdout=out)
    assert "Reconstruidos a partir de los movimientos." in out.getvalue()
    assert treasury_ledger.drift() == []
    assert treasury.balance_of(usd, day(0)) == D("9.00")
