"""The anti-money-laundering rules: register flags at the thresholds' edges, the origin of the funds
before sending to process, and the compliance officer's approval of PEP operations."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEntry
from clients.tests.factories import active_client
from operations import services
from operations.models import AuditAction, EventAction, FundsDeclaration, Operation, OperationStatus
from operations.tests.conftest import text_of
from operations.tests.factories import ExchangeRateFactory

LIMA = zoneinfo.ZoneInfo("America/Lima")


@pytest.fixture
def rate(master):
    """Published long ago: the tests travel back to November 2026."""
    return ExchangeRateFactory(set_by=master, effective_at=dt.datetime(2026, 1, 1, tzinfo=LIMA))


def flags(op):
    op = Operation.objects.get(pk=op.pk)
    return op.ro_single, op.ro_multiple


def at_lima(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=LIMA), tick=False)


# --- Single threshold ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("amount", "single"), [("9999.99", False), ("10000.00", True)])
def test_single_threshold_at_its_edge(make_operation, amount, single):
    op = make_operation(amount_usd=amount)
    assert flags(op) == (single, False)


@pytest.mark.django_db
def test_the_single_threshold_is_a_setting(make_operation, settings):
    settings.COMPLIANCE_RO_SINGLE_USD = "3000.00"
    assert flags(make_operation(amount_usd="3000.00")) == (True, False)
    settings.COMPLIANCE_RO_SINGLE_USD = "3000.01"
    assert flags(make_operation(amount_usd="3000.00")) == (False, False)


# --- Multiple (monthly) threshold --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_third_operation_reaching_the_month_threshold_flags_the_whole_month(make_operation, trader):
    with at_lima(2026, 11, 3, 10, 0):
        first = make_operation(amount_usd="20000.00")
    with at_lima(2026, 11, 10, 10, 0):
        second = make_operation(amount_usd="29999.98")
    with at_lima(2026, 11, 20, 10, 0):
        tiny = make_operation(amount_usd="0.01")  # 49,999.99 in the month
        assert [flags(o)[1] for o in (first, second, tiny)] == [False, False, False]
        third = make_operation(amount_usd="0.01")  # 50,000.00
    assert [flags(o) for o in (first, second, tiny, third)] == [
        (True, True),
        (True, True),
        (False, True),
        (False, True),
    ]
    entry = (
        AuditEntry.objects.filter(action=AuditAction.REGISTER_FLAGS_CHANGED, object_id=str(first.pk))
        .order_by("id")
        .last()
    )
    assert entry.changes == {"ro_multiple": [False, True]}
    assert entry.actor == trader


@pytest.mark.django_db
def test_the_month_is_lima_time_and_other_clients_do_not_count(make_operation, trader):
    # 30/11 23:30 in Lima is already 1 December in UTC: it still belongs to November.
    with at_lima(2026, 11, 30, 23, 30):
        november = make_operation(amount_usd="30000.00")
    with at_lima(2026, 12, 1, 0, 30):
        december = make_operation(amount_usd="30000.00")
    with at_lima(2026, 11, 15, 12, 0):
        other = make_operation(amount_usd="30000.00", client=active_client(owner=trader))
    assert flags(november) == (True, False)
    assert flags(december) == (True, False)
    assert flags(other) == (True, False)
    with at_lima(2026, 11, 2, 9, 0):
        make_operation(amount_usd="20000.00")
    assert flags(november) == (True, True)
    assert flags(december) == (True, False)
    assert flags(other) == (True, False)


@pytest.mark.django_db
def test_cancelled_operations_do_not_count(make_operation, trader):
    with at_lima(2026, 11, 5, 10, 0):
        first = make_operation(amount_usd="30000.00")
        second = make_operation(amount_usd="20000.00")
        assert flags(first) == (True, True)
        services.cancel_operation(second, by=trader, reason="El cliente desistió")
    assert flags(first) == (True, False)
    assert flags(second) == (False, False)  # a cancelled operation belongs to no register
    with at_lima(2026, 11, 6, 10, 0):
        third = make_operation(amount_usd="19999.99")
    # 30,000 + 19,999.99: under the month threshold, the cancelled 20,000 not counted.
    assert flags(first) == (True, False)
    assert flags(third) == (True, False)


@pytest.mark.django_db
def test_an_amount_change_moves_the_flags(make_operation, trader, settings):
    with at_lima(2026, 11, 5, 10, 0):
        op = make_operation(amount_usd="9000.00")
        assert flags(op) == (False, False)
        services.update_amount(op, by=trader, amount_usd="10000.00")
    assert flags(op) == (True, False)
    settings.COMPLIANCE_RO_MONTHLY_USD = "10000.00"
    with at_lima(2026, 11, 5, 11, 0):
        services.update_amount(op, by=trader, amount_usd="10000.01")
    assert flags(op) == (True, True)


@pytest.mark.django_db
def test_completion_rechecks_the_flags_with_current_settings(in_process_op, operador, pay, settings):
    assert flags(in_process_op) == (False, False)
    settings.COMPLIANCE_RO_SINGLE_USD = "500.00"
    pay(operador, in_process_op)
    services.complete_operation(in_process_op, by=operador)
    assert flags(in_process_op) == (True, False)
    assert AuditEntry.objects.filter(
        action=AuditAction.REGISTER_FLAGS_CHANGED, object_id=str(in_process_op.pk), actor=operador
    ).exists()


# --- Origin of funds ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_below_the_origin_threshold_no_declaration_is_needed(make_operation, fund, trader):
    op = make_operation(amount_usd="4999.99")
    fund(trader, op)
    assert services.send_to_process(op, by=trader).status == OperationStatus.IN_PROCESS


@pytest.mark.django_db
def test_send_to_process_refused_without_a_declaration_at_the_threshold(make_operation, fund, trader):
    op = make_operation(amount_usd="5000.00")
    fund(trader, op)
    with pytest.raises(ValidationError) as exc:
        services.send_to_process(op, by=trader)
    assert "registre la declaración del origen de los fondos antes de enviarla a proceso" in text_of(exc.value)
    assert "US$ 5,000.00" in text_of(exc.value)
    assert Operation.objects.get(pk=op.pk).status == OperationStatus.PENDING

    declaration = services.record_funds_declaration(op, by=trader, origin="savings")
    assert declaration.recorded_by == trader and declaration.recorded_at is not None
    assert services.send_to_process(op, by=trader).status == OperationStatus.IN_PROCESS
    assert AuditEntry.objects.filter(action=AuditAction.FUNDS_DECLARED, object_id=str(declaration.pk)).exists()
    assert op.events.filter(action=EventAction.FUNDS_DECLARED).exists()


@pytest.mark.django_db
def test_the_origin_threshold_is_a_setting(make_operation, fund, trader, settings):
    settings.COMPLIANCE_ORIGIN_FUNDS_USD = "1000.00"
    op = make_operation(amount_usd="1000.00")
    fund(trader, op)
    with pytest.raises(ValidationError):
        services.send_to_process(op, by=trader)


@pytest.mark.django_db
def test_missing_client_data_is_also_required_above_the_threshold(make_operation, fund, trader):
    op = make_operation(amount_usd="6000.00")
    client = op.client
    client.nationality, client.date_of_birth = "", None
    client.save()
    services.record_funds_declaration(op, by=trader, origin="salary")
    fund(trader, op)
    with pytest.raises(ValidationError) as exc:
        services.send_to_process(op, by=trader)
    assert "nacionalidad, fecha de nacimiento" in text_of(exc.value)
    small = make_operation(amount_usd="100.00")  # the same client keeps operating below the threshold
    fund(trader, small)
    assert services.send_to_process(small, by=trader).status == OperationStatus.IN_PROCESS


@pytest.mark.django_db
def test_other_origin_needs_a_detail_and_nothing_is_stored(make_operation, trader):
    op = make_operation(amount_usd="6000.00")
    with pytest.raises(ValidationError) as exc:
        services.record_funds_declaration(op, by=trader, origin="other", detail="  ")
    assert "detail" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.record_funds_declaration(op, by=trader, origin="lottery")
    assert "origin" in exc.value.error_dict
    assert not FundsDeclaration.objects.exists()


@pytest.mark.django_db
def test_only_the_clients_trader_records_the_declaration(make_operation, other_trader, officer):
    op = make_operation(amount_usd="6000.00")
    for user in (other_trader, officer):
        with pytest.raises(PermissionDenied):
            services.record_funds_declaration(op, by=user, origin="salary")


# --- PEP approval ---------------------------------------------------------------------------------------------


@pytest.fixture
def pep_in_process(make_operation, fund, trader, operador, pay):
    client = active_client(owner=trader, is_pep=True, pep_position="Alcalde", pep_entity="Municipalidad")
    op = make_operation(amount_usd="5000.00", client=client)
    services.record_funds_declaration(op, by=trader, origin="salary")
    fund(trader, op)
    op = services.send_to_process(op, by=trader)
    pay(operador, op)
    return op


@pytest.mark.django_db
def test_pep_completion_waits_for_the_officers_approval(pep_in_process, operador, officer):
    with pytest.raises(ValidationError) as exc:
        services.complete_operation(pep_in_process, by=operador)
    assert "espera la aprobación del oficial de cumplimiento" in text_of(exc.value)
    services.approve_compliance(pep_in_process, by=officer, reason="Debida diligencia reforzada conforme")
    op = services.complete_operation(pep_in_process, by=operador)
    assert op.status == OperationStatus.COMPLETED
    entry = AuditEntry.objects.get(action=AuditAction.COMPLIANCE_APPROVED, object_id=str(op.pk))
    assert entry.actor == officer and entry.message == "Debida diligencia reforzada conforme"
    assert op.events.get(action=EventAction.COMPLIANCE_APPROVED).reason == "Debida diligencia reforzada conforme"


@pytest.mark.django_db
def test_only_the_officer_or_a_master_approves(pep_in_process, operador, trader, master):
    for user in (operador, trader):
        with pytest.raises(PermissionDenied):
            services.approve_compliance(pep_in_process, by=user, reason="ok")
    with pytest.raises(ValidationError) as exc:
        services.approve_compliance(pep_in_process, by=master, reason="  ")
    assert "reason" in exc.value.error_dict
    services.approve_compliance(pep_in_process, by=master, reason="Revisado")
    with pytest.raises(ValidationError, match="ya fue aprobada"):
        services.approve_compliance(pep_in_process, by=master, reason="otra vez")


@pytest.mark.django_db
def test_a_small_or_non_pep_operation_needs_no_approval(in_process_op, operador, officer, pay):
    with pytest.raises(ValidationError, match="no necesita"):
        services.approve_compliance(in_process_op, by=officer, reason="x")
    pay(operador, in_process_op)
    assert services.complete_operation(in_process_op, by=operador).status == OperationStatus.COMPLETED


@pytest.mark.django_db
def test_a_new_amount_withdraws_the_approval(make_operation, trader, officer):
    client = active_client(owner=trader, is_pep=True, pep_position="Alcalde", pep_entity="Municipalidad")
    op = make_operation(amount_usd="6000.00", client=client)
    services.approve_compliance(op, by=officer, reason="Conforme")
    services.update_amount(op, by=trader, amount_usd="60000.00")
    assert Operation.objects.get(pk=op.pk).pep_approved_at is None
    assert Decimal(Operation.objects.get(pk=op.pk).amount_usd) == Decimal("60000.00")
