"""Races that must be impossible, on a real PostgreSQL (row locks are no-ops on SQLite).

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/qc_ops .venv/bin/pytest operations -m postgres
Each test starts its threads behind a barrier so they hit the database at the same moment. Every
thread has its own connection; the number of simultaneous threads is capped by the server's free
connections (the test says how many it used, and refuses to count as proof below 20).
"""

import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.tests.factories import UserFactory
from clients.tests.factories import active_client
from operations import services
from operations.models import EventAction, Operation, OperationStatus, OperationType, Payout
from operations.tests.conftest import accounts_for, field_of, png

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WANTED_PARALLEL = 100


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


def free_connections(margin=5):
    with connection.cursor() as cur:
        cur.execute("SHOW max_connections")
        limit = int(cur.fetchone()[0])
        cur.execute("SELECT count(*) FROM pg_stat_activity")
        used = int(cur.fetchone()[0])
    return limit - used - margin


def run_parallel(n_tasks, task, max_threads=WANTED_PARALLEL):
    """Run task(i) for i in range(n_tasks) on min(n_tasks, max_threads, free connections) threads.

    Returns (results, errors, threads_used); results/errors are lists of (i, value/exception).
    """
    threads_used = min(n_tasks, max_threads, free_connections())
    assert threads_used >= 20, f"only {threads_used} free PostgreSQL connections: not a meaningful race"
    barrier = threading.Barrier(threads_used)
    lock = threading.Lock()
    results, errors = [], []

    def worker(worker_id):
        try:
            barrier.wait(timeout=60)
            for i in range(worker_id, n_tasks, threads_used):
                try:
                    value = task(i)
                    with lock:
                        results.append((i, value))
                except Exception as exc:
                    with lock:
                        errors.append((i, exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(threads_used)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a worker hung (deadlock?)"
    return results, errors, threads_used


def test_100_parallel_creations_get_100_distinct_codes(rate, trader, capsys):
    clients = [active_client(owner=trader) for _ in range(5)]

    def create(i):
        client = clients[i % len(clients)]
        source, destination = accounts_for(client, OperationType.BUY)
        op = services.create_operation(
            by=trader,
            client=client,
            type=OperationType.BUY,
            amount_usd="100.00",
            source_account=source,
            destination_account=destination,
            notify=False,
        )
        return op.code

    results, errors, threads = run_parallel(100, create)
    assert errors == []
    codes = [code for _i, code in results]
    assert len(codes) == 100 and len(set(codes)) == 100
    assert sorted(codes) == [f"EXP-{n}" for n in range(1001, 1101)]  # no gaps either
    assert Operation.objects.count() == 100
    with capsys.disabled():
        print(f"\n  100 creations on {threads} simultaneous connections → {len(set(codes))} distinct codes")


def test_20_parallel_completes_exactly_one_succeeds(in_process_op, operador, houses, capsys):
    account = in_process_op.client.accounts.get(currency=in_process_op.client_receives_currency)
    services.add_movement(
        in_process_op,
        Payout,
        by=operador,
        amount=in_process_op.client_receives_amount,
        client_account=account,
        house_account=houses[in_process_op.client_receives_currency],
        file=png(),
    )

    results, errors, threads = run_parallel(
        20, lambda i: services.complete_operation(in_process_op.pk, by=operador, notify=False)
    )
    assert len(results) == 1, f"{len(results)} completions succeeded"
    assert len(errors) == 19 and all(isinstance(e, ValidationError) for _i, e in errors)
    assert all("Completada" in str(e) for _i, e in errors)
    in_process_op.refresh_from_db()
    assert in_process_op.status == OperationStatus.COMPLETED and in_process_op.processed_by == operador
    assert in_process_op.events.filter(action=EventAction.COMPLETED).count() == 1
    with capsys.disabled():
        print(f"\n  20 simultaneous 'Completar' on {threads} connections → {len(results)} succeeded")


def test_parallel_send_to_process_and_cancel_one_wins(make_operation, fund, trader, master):
    op = make_operation()
    fund(trader, op)

    def act(i):
        if i % 2:
            return services.send_to_process(op.pk, by=trader).status
        return services.cancel_operation(op.pk, by=master, reason="carrera").status

    results, errors, _threads = run_parallel(20, act)
    assert len(results) + len(errors) == 20
    op.refresh_from_db()
    # Whatever won first, the row went through a legal sequence: never two sends, never two cancels.
    counts = Counter(op.events.values_list("action", flat=True))
    assert counts[EventAction.SENT_TO_PROCESS] <= 1 and counts[EventAction.CANCELLED] == 1
    assert op.status == OperationStatus.CANCELLED


def test_parallel_payouts_never_exceed_four(in_process_op, operador, houses):
    account = in_process_op.client.accounts.get(currency=in_process_op.client_receives_currency)
    house = houses[in_process_op.client_receives_currency]

    def add(i):
        return services.add_movement(
            in_process_op.pk and in_process_op,
            Payout,
            by=operador,
            amount="1.00",
            client_account=account,
            house_account=house,
        )

    results, errors, _threads = run_parallel(20, add)
    assert len(results) == 4 and len(errors) == 16
    assert in_process_op.payouts.count() == 4


def test_parallel_assignment_uses_every_operator(make_operation, fund, trader, operador):
    """Balanced assignment holds under load: 20 simultaneous sends over 4 operators → 5 each."""
    others = [UserFactory(role="Operador") for _ in range(3)]
    ops = []
    for _ in range(20):
        op = make_operation()
        fund(trader, op)
        ops.append(op)
    results, errors, _threads = run_parallel(20, lambda i: services.send_to_process(ops[i].pk, by=trader))
    assert errors == []
    load = Counter(op.assigned_operator_id for _i, op in results)
    assert load == {operador.pk: 5, **{o.pk: 5 for o in others}}


def test_creation_waits_for_a_deactivation_in_flight_and_is_refused(rate, trader):
    """A client being deactivated (its row locked, as clients.services does) while an operation is
    created: the creation waits for the lock, then sees Inactivo and is refused. Without the lock it
    would read the old committed status and register an operation for an inactive client."""
    import time

    from django.db import transaction

    from clients.models import Client, ClientStatus

    client = active_client(owner=trader)
    source, destination = accounts_for(client, OperationType.BUY)
    locked, release = threading.Event(), threading.Event()
    outcome = {}

    def deactivate():
        try:
            with transaction.atomic():
                Client.objects.select_for_update().get(pk=client.pk)
                locked.set()
                release.wait(30)
                Client.objects.filter(pk=client.pk).update(status=ClientStatus.INACTIVE)
        finally:
            connection.close()

    def create():
        try:
            outcome["op"] = services.create_operation(
                by=trader,
                client=client,
                type=OperationType.BUY,
                amount_usd="100.00",
                source_account=source,
                destination_account=destination,
                notify=False,
            )
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    deactivator = threading.Thread(target=deactivate)
    deactivator.start()
    assert locked.wait(30)
    creator = threading.Thread(target=create)
    creator.start()
    # Wait until the creation is really blocked on a row lock (not merely slow to start).
    deadline = time.monotonic() + 30
    with connection.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cur.fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the creation never waited for the client's row lock")
    release.set()
    deactivator.join(30)
    creator.join(30)
    assert "op" not in outcome, "an operation was registered for a client deactivated meanwhile"
    assert isinstance(outcome.get("error"), ValidationError) and field_of(outcome["error"]) == "client"
    assert not Operation.objects.exists()


def test_parallel_creations_for_one_client_all_see_the_months_sum(rate, trader, settings):
    """Twenty simultaneous operations of one client, each under the monthly threshold on its own:
    the client's row lock makes each creation count the others, so the whole month ends multiple."""
    settings.COMPLIANCE_RO_MONTHLY_USD = "20000.00"
    client = active_client(owner=trader)
    source, destination = accounts_for(client, OperationType.BUY)

    def create(i):
        return services.create_operation(
            by=trader,
            client=client,
            type=OperationType.BUY,
            amount_usd="1000.00",
            source_account=source,
            destination_account=destination,
            notify=False,
        ).pk

    results, errors, _used = run_parallel(20, create, max_threads=20)
    assert not errors and len(results) == 20
    assert set(Operation.objects.filter(client=client).values_list("ro_multiple", flat=True)) == {True}


def test_parallel_movements_on_one_house_account_lose_no_update(make_operation, fund, trader, master, houses):
    """Deposits today and back-dated treasury fees on the same account at once: each locks the account
    before its day balances, so the stored balances end up equal to the sum of every movement."""
    import datetime as dt
    from decimal import Decimal

    from clients.models import Currency
    from operations import treasury, treasury_ledger
    from operations.models import TreasuryKind

    usd = houses[Currency.USD]
    today = treasury.lima_today()
    services.set_opening_balance(by=master, account=usd, date=today - dt.timedelta(days=3), amount="100.00")
    ops = [make_operation(amount_usd="10.00") for _ in range(20)]

    def move(i):
        if i < len(ops):
            return fund(trader, ops[i])
        day = today - dt.timedelta(days=1 + i % 2)
        return services.record_movement(by=master, kind=TreasuryKind.FEE, date=day, account=usd, amount="1.00")

    results, errors, _used = run_parallel(30, move)
    assert errors == [] and len(results) == 30
    assert treasury_ledger.drift() == []
    assert treasury.balance_of(usd, today) == Decimal("100.00") + 20 * Decimal("10.00") - 10 * Decimal("1.00")
