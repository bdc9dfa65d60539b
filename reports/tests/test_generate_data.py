"""generate_data: the data it writes is data the application's own rules accept."""

import datetime as dt
import io
import random

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max

from clients.models import BankAccount, Client, ClientStatus, account_set_errors
from operations import treasury, treasury_ledger
from operations.models import (
    AccountDayBalance,
    CodeCounter,
    Deposit,
    EventAction,
    Operation,
    OperationEvent,
    OperationStatus,
    Payout,
)
from operations.services.creation import CODE_COUNTER, next_code
from operations.services.movements import deposit_problem, payout_problem
from reports.datagen import people
from reports.models import TraderGoal

UNTIL = dt.date(2026, 11, 27)
SIZE = {"operations": 2000, "clients": 300}


def generate(**options):
    call_command(
        "generate_data",
        **{**SIZE, "seed": 7, "until": UNTIL.isoformat(), "i_know_this_is_not_production": True, **options},
        stdout=io.StringIO(),
    )


@pytest.fixture
def generated(db):
    generate()


def test_refuses_without_debug_unless_told(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=false"):
        call_command("generate_data", operations=10, clients=5)
    assert not Operation.objects.exists()


def test_refuses_a_database_with_business_data(generated):
    with pytest.raises(CommandError, match="empty database"):
        generate()
    assert Operation.objects.count() == SIZE["operations"]


def test_sizes_and_every_status(generated):
    assert Operation.objects.count() == 2000
    assert Client.objects.count() == 300
    statuses = set(Operation.objects.values_list("status", flat=True))
    assert statuses == set(OperationStatus.values)
    assert Client.objects.awaiting_review().exists() and Client.objects.deactivated().exists()
    assert TraderGoal.objects.exists()


def test_sampled_rows_pass_full_clean(generated):
    rnd = random.Random(1)
    for client in rnd.sample(list(Client.objects.all()), 40):
        client.full_clean()
        assert client.search_text == client.build_search_text()
        accounts = list(client.accounts.all())
        assert 2 <= len(accounts) <= 4
        assert account_set_errors(accounts, complete=True) == []
    for account in rnd.sample(list(BankAccount.objects.all()), 40):
        account.full_clean()
    for op in rnd.sample(list(Operation.objects.select_related("client")), 60):
        # New operations only for Activo clients: one deactivated since keeps its past operations.
        op.full_clean(exclude=[] if op.client.is_active else ["client"])
        computed = Operation.compute_amounts(op.type, op.amount_usd, op.rate, op.base_rate)
        assert (op.amount_pen, op.profit_pen) == computed
        assert op.profit_pen >= 0
        assert op.client.status == ClientStatus.ACTIVE or op.client.status_changed_at > op.created_at
    for model in (Deposit, Payout):
        for row in rnd.sample(list(model.objects.all()), 40):
            row.full_clean()
            assert row.client_account.client_id == row.operation.client_id


def test_the_transitions_rules_hold_for_every_operation(generated):
    """Deposits add up to what the client sends before going to process; payouts (with vouchers)
    to what it receives before completing: the checks the transitions themselves run."""
    for op in Operation.objects.exclude(status=OperationStatus.PENDING).select_related("client"):
        sent = op.events.filter(action=EventAction.SENT_TO_PROCESS)
        was_sent = op.status != OperationStatus.CANCELLED or sent.exists()
        if was_sent:
            assert deposit_problem(op) is None, op.code
        if op.status == OperationStatus.COMPLETED:
            assert payout_problem(op) is None, op.code
            assert op.completed_at and op.processed_by_id and op.sent_to_process_at < op.completed_at
        if op.status == OperationStatus.IN_PROCESS:
            assert op.assigned_operator_id and op.sent_to_process_at
        if op.status == OperationStatus.CANCELLED:
            assert op.cancelled_at
    last_events = OperationEvent.objects.exclude(to_status="").order_by("operation_id", "-at", "-id")
    last = {}
    for event in last_events:
        last.setdefault(event.operation_id, event.to_status)
    assert last == dict(Operation.objects.values_list("pk", "status"))


def test_the_code_counter_continues_after_the_last_code(generated):
    highest = max(int(code.removeprefix("EXP-")) for code in Operation.objects.values_list("code", flat=True))
    assert CodeCounter.objects.get(name=CODE_COUNTER).last_value == highest
    assert next_code() == f"EXP-{highest + 1}"
    # Codes follow creation order, as the counter gives them.
    codes = list(Operation.objects.order_by("created_at", "id").values_list("code", flat=True))
    assert codes == sorted(codes, key=lambda c: int(c.removeprefix("EXP-")))


def test_new_rows_get_ids_after_the_generated_ones(generated):
    op = Operation.objects.order_by("-id").first()
    highest = OperationEvent.objects.aggregate(m=Max("id"))["m"]
    event = OperationEvent.objects.create(operation=op, action=EventAction.NOTES_CHANGED, by=op.trader)
    assert event.pk > highest


def fingerprint():
    return (
        list(Client.objects.order_by("created_at", "document_number").values_list("document_number", "search_text")),
        list(Operation.objects.order_by("code").values_list("code", "amount_usd", "rate", "status", "created_at")),
        Deposit.objects.count(),
        Payout.objects.count(),
        OperationEvent.objects.count(),
    )


def test_same_seed_same_data(generated):
    first = fingerprint()
    for model in (OperationEvent, Deposit, Payout, Operation, BankAccount, Client, TraderGoal):
        model.objects.all().delete()
    generate()
    assert fingerprint() == first


def test_documents_are_valid_and_unique():
    from clients.validators import validate_document

    rnd = random.Random(3)
    seen = set()
    for i in range(5000):
        doc_type, number = people.document(i, rnd, salt=12345)
        validate_document(doc_type, number)
        seen.add((doc_type, number))
    assert len(seen) == 5000


def test_house_accounts_open_on_the_first_day_and_their_day_balances_match_the_movements(generated):
    rows = treasury.balances(UNTIL)
    assert rows and all(row.balance is not None for row in rows)
    assert AccountDayBalance.objects.count() > len(rows)
    assert treasury_ledger.drift() == []
