from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clients.tests.factories import active_client
from operations.models import (
    CodeCounter,
    Deposit,
    ExchangeRate,
    Operation,
    OperationStatus,
    OperationType,
    mask_snapshot,
)
from operations.tests.factories import ExchangeRateFactory, OperationFactory

BUY, SELL = OperationType.BUY, OperationType.SELL


@pytest.mark.parametrize(
    "usd, rate, expected_pen",
    [
        ("1000.00", "3.7000", "3700.00"),
        ("1.25", "3.7000", "4.63"),  # 4.625 exactly: HALF_UP goes up (banker's rounding would give 4.62)
        ("0.01", "2.5000", "0.03"),  # 0.025 → 0.03
        ("1.00", "3.0050", "3.01"),  # 3.005: as a float this is 3.00499999… and would round down
        ("1.15", "3.7500", "4.31"),  # 4.3125 → 4.31
        ("10.01", "3.5005", "35.04"),  # 35.040005 → 35.04
        ("2.35", "3.0000", "7.05"),  # exact
        ("500000.00", "4.9999", "2499950.00"),
        ("0.03", "3.4983", "0.10"),  # 0.104949 → 0.10 (never rounded twice)
    ],
)
def test_amount_pen_is_usd_times_rate_rounded_half_up(usd, rate, expected_pen):
    pen, _profit = Operation.compute_amounts(BUY, usd, rate, rate)
    assert pen == Decimal(expected_pen)
    assert str(pen) == expected_pen  # exactly two decimals


@pytest.mark.parametrize(
    "op_type, usd, rate, base, expected_profit",
    [
        (SELL, "1000.00", "3.7500", "3.7200", "30.00"),  # venta: usd × (rate − base)
        (BUY, "1000.00", "3.7000", "3.7200", "20.00"),  # compra: usd × (base − rate)
        (SELL, "0.25", "3.7500", "3.7300", "0.01"),  # 0.005 → 0.01
        (BUY, "0.25", "3.7100", "3.7300", "0.01"),  # 0.005 → 0.01
        (SELL, "0.15", "3.7500", "3.7300", "0.00"),  # 0.003 → 0.00
        (BUY, "0.25", "3.7400", "3.7200", "-0.01"),  # a loss-making deal: −0.005 rounds away from zero
        (SELL, "333.33", "3.7512", "3.7201", "10.37"),  # 10.366563 → 10.37
        (BUY, "1234.56", "3.7000", "3.7000", "0.00"),
    ],
)
def test_profit_by_type_rounded_half_up(op_type, usd, rate, base, expected_profit):
    _pen, profit = Operation.compute_amounts(op_type, usd, rate, base)
    assert profit == Decimal(expected_profit)


def test_compute_amounts_refuses_floats():
    with pytest.raises(TypeError):
        Operation.compute_amounts(BUY, 1.25, "3.7", "3.7")


def test_recompute_and_currency_flows():
    op = Operation(type=SELL, amount_usd=Decimal("100.00"), rate=Decimal("3.7555"), base_rate=Decimal("3.7200"))
    op.recompute()
    assert op.amount_pen == Decimal("375.55") and op.profit_pen == Decimal("3.55")
    assert op.client_sends_currency == "PEN" and op.client_sends_amount == Decimal("375.55")
    assert op.client_receives_currency == "USD" and op.client_receives_amount == Decimal("100.00")
    op.type = BUY
    assert op.client_sends_currency == "USD" and op.client_sends_amount == Decimal("100.00")
    assert op.client_receives_currency == "PEN"


@pytest.mark.django_db
class TestExchangeRate:
    def test_bounds_and_order(self, master, settings):
        settings.RATE_MIN, settings.RATE_MAX = "2.5000", "5.0000"
        ok = ExchangeRate(
            base=Decimal("3.72"), buy=Decimal("3.70"), sell=Decimal("3.75"), set_by=master, effective_at=timezone.now()
        )
        ok.full_clean()
        with pytest.raises(ValidationError) as exc:
            ExchangeRate(
                base=Decimal("3.72"),
                buy=Decimal("2.4999"),
                sell=Decimal("5.0001"),
                set_by=master,
                effective_at=timezone.now(),
            ).full_clean()
        assert set(exc.value.message_dict) == {"buy", "sell"}
        # The order buy ≤ base ≤ sell is the CheckConstraint's, validated by full_clean, once, in Spanish.
        with translation.override("es"), pytest.raises(ValidationError) as exc:
            ExchangeRate(
                base=Decimal("3.80"),
                buy=Decimal("3.70"),
                sell=Decimal("3.75"),
                set_by=master,
                effective_at=timezone.now(),
            ).full_clean()
        assert exc.value.messages == ["Los tipos deben cumplir compra ≤ base ≤ venta."]
        # Out of bounds: only the bounds are reported (the order is not checked on top).
        with pytest.raises(ValidationError) as exc:
            ExchangeRate(
                base=Decimal("3.72"),
                buy=Decimal("3.80"),
                sell=Decimal("5.0001"),
                set_by=master,
                effective_at=timezone.now(),
            ).full_clean()
        assert set(exc.value.message_dict) == {"sell"}
        # Edges are inside the bounds.
        ExchangeRate(
            base=Decimal("2.5"), buy=Decimal("2.5"), sell=Decimal("5.0"), set_by=master, effective_at=timezone.now()
        ).full_clean()

    def test_database_refuses_buy_above_base(self, master):
        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():
            ExchangeRateFactory(set_by=master, base=Decimal("3.70"), buy=Decimal("3.71"), sell=Decimal("3.75"))

    def test_current_is_latest_in_force(self, master):
        now = timezone.now()
        assert ExchangeRate.objects.current() is None
        old = ExchangeRateFactory(set_by=master, effective_at=now - timedelta(days=1))
        new = ExchangeRateFactory(set_by=master, effective_at=now - timedelta(minutes=1))
        ExchangeRateFactory(set_by=master, effective_at=now + timedelta(hours=2))  # scheduled, not yet
        assert ExchangeRate.objects.current() == new
        assert ExchangeRate.objects.current(at=now - timedelta(hours=1)) == old


@pytest.mark.django_db
def test_code_counter_creates_then_increments():
    from django.db import transaction

    with transaction.atomic():
        assert CodeCounter.next_value("x", floor=1000) == 1001
        assert CodeCounter.next_value("x", floor=1000) == 1002
        assert CodeCounter.next_value("y", floor=5000) == 5001
    assert CodeCounter.objects.get(name="x").last_value == 1002


@pytest.mark.django_db
def test_time_in_process_and_sla(settings):
    settings.OPERATION_SLA_MINUTES = 10
    now = timezone.now()
    op = OperationFactory(status=OperationStatus.IN_PROCESS, sent_to_process_at=now - timedelta(minutes=9, seconds=59))
    assert op.time_in_process(now) == timedelta(minutes=9, seconds=59)
    assert not op.is_over_sla(now)
    assert op.is_over_sla(now + timedelta(seconds=1))
    done = OperationFactory(
        status=OperationStatus.COMPLETED,
        sent_to_process_at=now - timedelta(minutes=30),
        completed_at=now - timedelta(minutes=5),
    )
    assert done.time_in_process(now) == timedelta(minutes=25)
    assert not done.is_over_sla(now)
    assert OperationFactory().time_in_process(now) is None


@pytest.mark.django_db
def test_visible_to_scopes_operations_and_children(trader, other_trader, operador, master):
    mine = OperationFactory(client=active_client(owner=trader))
    theirs = OperationFactory(client=active_client(owner=other_trader))
    assert list(Operation.objects.visible_to(trader)) == [mine]
    assert set(Operation.objects.visible_to(operador)) == {mine, theirs}
    assert set(Operation.objects.visible_to(master)) == {mine, theirs}
    assert Deposit.objects.visible_to(trader).query is not None
    trader.is_active = False
    trader.save()
    assert not Operation.objects.visible_to(trader).exists()


def test_mask_snapshot():
    assert mask_snapshot("BCP USD 1930012345678") == "BCP USD ****5678"
    assert mask_snapshot("Banco de la Nación PEN 00123456789") == "Banco de la Nación PEN ****6789"
    assert mask_snapshot("") == ""


@pytest.mark.django_db
@pytest.mark.parametrize("many_clients", [500, 2], ids=["few matches: union", "many matches: walk the order"])
def test_search_finds_the_same_operations_with_either_plan(many_clients, monkeypatch, trader):
    from operations import models as op_models

    monkeypatch.setattr(op_models, "MANY_CLIENTS", many_clients)
    lopez = [OperationFactory(client=active_client(owner=trader, apellido_paterno="LÓPEZ")) for _ in range(3)]
    other = OperationFactory(client=active_client(owner=trader, apellido_paterno="QUISPE"))
    everything = Operation.objects.all()
    assert set(everything.search("lopez")) == set(lopez)
    assert list(everything.search(other.code.lower())) == [other]
    assert list(everything.search(other.client.document_number)) == [other]
    assert set(everything.filter(pk__in=[lopez[0].pk, other.pk]).search("lopez")) == {lopez[0]}


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_search_matching_many_clients_tests_each_row_instead_of_joining(monkeypatch, trader):
    from django.db import connection

    from operations import models as op_models

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite always takes the union")

    monkeypatch.setattr(op_models, "MANY_CLIENTS", 2)
    for _ in range(2):
        OperationFactory(client=active_client(owner=trader, apellido_paterno="LÓPEZ"))
    OperationFactory(client=active_client(owner=trader, apellido_paterno="RARO"))
    assert "UNION" not in str(Operation.objects.search("lopez").query)
    assert "UNION" in str(Operation.objects.search("raro").query)
