"""House account balances, manual treasury movements and reconciliation (services and balances)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEntry
from clients.models import Currency
from operations import services, treasury, treasury_ledger
from operations.models import BankStatement, Deposit, OperationStatus, TreasuryEntry, TreasuryKind, TreasuryLeg
from operations.tests.conftest import field_of, text_of
from operations.tests.factories import HouseBankAccountFactory

pytestmark = pytest.mark.django_db

D = Decimal


def today():
    return treasury.lima_today()


def yesterday():
    return today() - dt.timedelta(days=1)


def at_lima(day, hour=12):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=treasury.LIMA)


def balance(account, day=None):
    return treasury.balance_of(account, day or today())


def test_opening_plus_deposits_minus_payouts_plus_manual_to_the_cent(
    master, trader, operador, in_process_op, houses, pay
):
    usd, pen = houses[Currency.USD], houses[Currency.PEN]
    services.set_opening_balance(by=master, account=usd, date=yesterday(), amount="5000.10")
    services.set_opening_balance(by=master, account=pen, date=yesterday(), amount="20000.00")
    # in_process_op: a Compra of US$ 1,000.00 at 3.7000 funded in USD today; pay the S/ 3,700.00 out.
    pay(operador, in_process_op)
    services.record_movement(by=master, kind=TreasuryKind.FEE, date=today(), account=pen, amount="12.35")
    services.record_movement(
        by=master, kind=TreasuryKind.OTHER, date=today(), account=usd, amount="0.01", direction="in", reason="Interés"
    )
    assert balance(usd) == D("6000.11")  # 5000.10 + 1000.00 + 0.01
    assert balance(pen) == D("16287.65")  # 20000.00 − 3700.00 − 12.35
    assert balance(usd, yesterday()) == D("5000.10")
    rows = {r.account.pk: r for r in treasury.balances(today())}
    assert rows[pen.pk].day_out == D("3712.35")
    assert rows[usd.pk].day_in == D("1000.01")
    assert rows[pen.pk].start_balance == D("20000.00")


def test_end_of_day_uses_the_lima_day(master, trader, in_process_op, houses):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=yesterday(), amount="100.00")
    deposit = in_process_op.deposits.get()
    # 23:30 in Lima yesterday is 04:30 UTC today: it belongs to yesterday.
    # Moved around the services, so the stored day balances are rebuilt (as the data generator does).
    Deposit.objects.filter(pk=deposit.pk).update(created_at=at_lima(yesterday(), 23) + dt.timedelta(minutes=30))
    treasury_ledger.rebuild_from(usd.pk)
    assert balance(usd, yesterday()) == D("1100.00")
    Deposit.objects.filter(pk=deposit.pk).update(created_at=at_lima(today(), 0))
    treasury_ledger.rebuild_from(usd.pk)
    assert balance(usd, yesterday()) == D("100.00")
    assert balance(usd) == D("1100.00")


def test_voided_deposits_count_nowhere(master, trader, make_operation, fund, houses):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=today(), amount="0")
    op = make_operation()
    deposit = fund(trader, op)
    assert balance(usd) == D("1000.00")
    services.void_movement(deposit, by=trader, reason="Monto equivocado")
    assert balance(usd) == D("0.00")


def test_without_opening_there_is_no_balance_and_movements_before_it_do_not_count(
    master, trader, in_process_op, houses
):
    usd = houses[Currency.USD]
    assert balance(usd) is None
    services.set_opening_balance(by=master, account=usd, date=today(), amount="50.00")
    assert balance(usd) == D("1050.00")  # the deposit is today's
    Deposit.objects.update(created_at=at_lima(yesterday()))
    treasury_ledger.rebuild_from(usd.pk)
    assert balance(usd) == D("50.00")


def test_a_newer_opening_supersedes_from_its_date(master, houses):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=yesterday() - dt.timedelta(days=1), amount="10.00")
    services.record_movement(by=master, kind=TreasuryKind.FEE, date=yesterday(), account=usd, amount="1.00")
    services.set_opening_balance(by=master, account=usd, date=today(), amount="500.00")
    assert balance(usd, yesterday()) == D("9.00")
    assert balance(usd) == D("500.00")
    entry = AuditEntry.objects.filter(action="openingbalance.create").latest("id")
    assert entry.changes["amount"] == [None, "500.00"]


def test_a_transfer_moves_money_atomically_between_two_accounts(master):
    a = HouseBankAccountFactory(currency=Currency.PEN)
    b = HouseBankAccountFactory(currency=Currency.PEN)
    for account in (a, b):
        services.set_opening_balance(by=master, account=account, date=today(), amount="1000.00")
    entry = services.record_movement(
        by=master, kind=TreasuryKind.TRANSFER, date=today(), account=a, counter_account=b, amount="250.50"
    )
    assert balance(a) == D("749.50") and balance(b) == D("1250.50")
    assert sorted(entry.legs.values_list("amount", flat=True)) == [D("-250.50"), D("250.50")]


def test_a_transfer_with_one_bad_leg_writes_nothing(master):
    a = HouseBankAccountFactory(currency=Currency.PEN)
    b = HouseBankAccountFactory(currency=Currency.PEN)
    services.set_opening_balance(by=master, account=a, date=today(), amount="1000.00")
    # b has no opening: its leg is refused, so a's leg must not be written either.
    with pytest.raises(ValidationError) as exc:
        services.record_movement(
            by=master, kind=TreasuryKind.TRANSFER, date=today(), account=a, counter_account=b, amount="10.00"
        )
    assert "no tiene saldo inicial" in text_of(exc.value)
    assert not TreasuryEntry.objects.exists() and not TreasuryLeg.objects.exists()
    assert balance(a) == D("1000.00")


def test_transfer_between_currencies_is_refused(master, houses):
    with pytest.raises(ValidationError) as exc:
        services.record_movement(
            by=master,
            kind=TreasuryKind.TRANSFER,
            date=today(),
            account=houses[Currency.USD],
            counter_account=houses[Currency.PEN],
            amount="10.00",
        )
    assert field_of(exc.value) == "counter_account"


def test_interbank_purchase_moves_both_currencies_at_its_rate(master, houses):
    usd, pen = houses[Currency.USD], houses[Currency.PEN]
    for account in (usd, pen):
        services.set_opening_balance(by=master, account=account, date=today(), amount="10000.00")
    services.record_movement(
        by=master,
        kind=TreasuryKind.FX_BUY,
        date=today(),
        account=usd,
        counter_account=pen,
        amount="1000.00",
        rate="3.7125",
    )
    assert balance(usd) == D("11000.00")
    assert balance(pen) == D("6287.50")
    services.record_movement(
        by=master,
        kind=TreasuryKind.FX_SELL,
        date=today(),
        account=pen,
        counter_account=usd,
        amount="0.50",
        rate="3.7501",
    )
    assert balance(usd) == D("10999.50")
    assert balance(pen) == D("6289.38")  # 0.50 × 3.7501 = 1.87505 → 1.88


def test_other_needs_a_reason_and_a_direction(master, houses):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=today(), amount="0")
    with pytest.raises(ValidationError) as exc:
        services.record_movement(
            by=master, kind=TreasuryKind.OTHER, date=today(), account=usd, amount="5", direction="in"
        )
    assert field_of(exc.value) == "reason"
    with pytest.raises(ValidationError) as exc:
        services.record_movement(by=master, kind=TreasuryKind.OTHER, date=today(), account=usd, amount="5", reason="x")
    assert field_of(exc.value) == "direction"


@pytest.mark.parametrize(
    ("amount", "message"),
    [("abc", "número"), ("-5", "mayor que cero"), ("1.005", "2 decimales"), ("", "número"), ("NaN", "número")],
)
def test_bad_amounts_are_refused_in_spanish(master, houses, amount, message):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=today(), amount="0")
    with pytest.raises(ValidationError) as exc:
        services.record_movement(by=master, kind=TreasuryKind.FEE, date=today(), account=usd, amount=amount)
    assert field_of(exc.value) == "amount"
    assert message in text_of(exc.value)


def test_future_dates_are_refused(master, houses):
    with pytest.raises(ValidationError) as exc:
        services.set_opening_balance(
            by=master, account=houses[Currency.USD], date=today() + dt.timedelta(days=1), amount="1"
        )
    assert field_of(exc.value) == "date"


def test_voiding_entry_reverses_the_movement_on_its_date(master, houses):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=yesterday(), amount="100.00")
    fee = services.record_movement(by=master, kind=TreasuryKind.FEE, date=yesterday(), account=usd, amount="7.00")
    assert balance(usd, yesterday()) == D("93.00")
    void = services.void_entry(fee, by=master, reason="Comisión duplicada")
    assert void.kind == TreasuryKind.VOID and void.date == yesterday() and void.voids == fee
    assert balance(usd, yesterday()) == D("100.00")
    assert TreasuryEntry.objects.count() == 2  # nothing deleted
    with pytest.raises(ValidationError, match="ya está anulado"):
        services.void_entry(fee, by=master, reason="otra vez")
    assert AuditEntry.objects.filter(action="treasuryentry.void", message="Comisión duplicada").exists()


def test_reconciliation_shows_the_difference_and_refuses_back_dated_movements(master, houses):
    usd = houses[Currency.USD]
    day = yesterday()
    services.set_opening_balance(by=master, account=usd, date=day, amount="1000.00")
    services.record_movement(by=master, kind=TreasuryKind.FEE, date=day, account=usd, amount="15.00")
    services.enter_statement(by=master, account=usd, date=day, closing_balance="985.00")
    row = next(r for r in treasury.balances(day) if r.account == usd)
    assert row.difference == D("0.00")
    statement = services.reconcile_day(by=master, account=usd, date=day)
    assert statement.reconciled_by == master and statement.system_balance == D("985.00")
    assert AuditEntry.objects.filter(action="bankstatement.reconcile").exists()

    with pytest.raises(ValidationError) as exc:
        services.record_movement(by=master, kind=TreasuryKind.FEE, date=day, account=usd, amount="1.00")
    assert "está conciliado" in text_of(exc.value)
    with pytest.raises(ValidationError):
        services.set_opening_balance(by=master, account=usd, date=day, amount="1.00")
    # Today is after the reconciled day: not back-dated.
    services.record_movement(by=master, kind=TreasuryKind.FEE, date=today(), account=usd, amount="1.00")

    with pytest.raises(ValidationError) as exc:
        services.reopen_day(by=master, account=usd, date=day, reason="  ")
    assert field_of(exc.value) == "reason"
    services.reopen_day(by=master, account=usd, date=day, reason="Faltó la comisión de mantenimiento")
    assert AuditEntry.objects.filter(action="bankstatement.reopen", message__startswith="Faltó").exists()
    services.record_movement(by=master, kind=TreasuryKind.FEE, date=day, account=usd, amount="1.00")
    assert balance(usd, day) == D("984.00")


def test_a_difference_needs_a_note_and_today_cannot_be_reconciled(master, houses):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=yesterday(), amount="10.00")
    services.enter_statement(by=master, account=usd, date=yesterday(), closing_balance="12.00")
    with pytest.raises(ValidationError) as exc:
        services.reconcile_day(by=master, account=usd, date=yesterday())
    assert field_of(exc.value) == "note" and "2.00" in text_of(exc.value)
    services.reconcile_day(by=master, account=usd, date=yesterday(), note="Abono del banco aún no registrado")
    services.enter_statement(by=master, account=usd, date=today(), closing_balance="10.00")
    with pytest.raises(ValidationError, match="día terminado"):
        services.reconcile_day(by=master, account=usd, date=today())
    with pytest.raises(ValidationError, match="conciliado"):
        services.enter_statement(by=master, account=usd, date=yesterday(), closing_balance="13.00")
    assert BankStatement.objects.get(account=usd, date=yesterday()).closing_balance == D("12.00")


@pytest.mark.parametrize("who", ["trader", "operador"])
def test_only_treasury_managers_write(request, houses, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.set_opening_balance(by=user, account=houses[Currency.USD], date=today(), amount="1")
    assert not user.has_perm("operations.view_treasury")


def test_payouts_due_and_coverage_warning(master, operador, in_process_op, houses, pay):
    pen = houses[Currency.PEN]
    assert treasury.payouts_due() == {Currency.PEN: D("3700.00"), Currency.USD: D("0.00")}
    services.set_opening_balance(by=master, account=pen, date=today(), amount="3000.00")
    (warning,) = treasury.coverage_warnings()
    assert warning.currency == Currency.PEN and warning.short and warning.missing == D("700.00")
    services.record_movement(
        by=master, kind=TreasuryKind.OTHER, date=today(), account=pen, amount="700.00", direction="in", reason="Aporte"
    )
    assert treasury.coverage_warnings() == []
    pay(operador, in_process_op, amount="1000.00")
    assert treasury.payouts_due()[Currency.PEN] == D("2700.00")
    assert in_process_op.status == OperationStatus.IN_PROCESS


def test_balances_take_one_query(master, houses, django_assert_num_queries):
    for account in houses.values():
        services.set_opening_balance(by=master, account=account, date=today(), amount="1")
    HouseBankAccountFactory.create_batch(5)
    with django_assert_num_queries(1):
        rows = treasury.balances(today())
    assert len(rows) == 7
