"""Demo rates, house accounts and ~200 operations over the last 60 days (seed_demo, after clients.demo).

Operations go through `operations.services` (creation, deposits, payouts, transitions), so their
amounts, events and audit entries are exactly what the application would write; only their
timestamps are moved into the past afterwards, and the base rate / profit are set to the rate that
was in force on that day (same arithmetic: `Operation.compute_amounts`). Idempotent: rates, house
accounts and operations are only added when there are none yet.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from clients.models import AccountType, Bank, BankAccount, Client, ClientStatus, Currency, DocumentType
from operations import compliance, rate_guard, services, treasury_ledger
from operations.models import (
    Deposit,
    EventAction,
    ExchangeRate,
    HouseBankAccount,
    Operation,
    OperationEvent,
    OperationStatus,
    OperationType,
    Payout,
)
from qoricash import money

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

HOUSE_ACCOUNTS = [
    (Bank.BCP, Currency.USD, "1939876543210", "00219300987654321015"),
    (Bank.INTERBANK, Currency.USD, "2003004567891", "00320000300456789131"),
    (Bank.BBVA, Currency.USD, "001101230200456789", "01112300020045678912"),
    (Bank.BCP, Currency.PEN, "1919876543219", "00219100987654321914"),
    (Bank.INTERBANK, Currency.PEN, "2003004567882", "00320000300456788232"),
    (Bank.BANBIF, Currency.PEN, "007000123456", "03800000700012345617"),
]

DAYS = 60
TARGET = 200
IN_PROCESS_MINUTES = (2, 4, 7, 9, 14, 33)  # today's queue: the last two are over the 10-minute SLA


def _say(stdout, text):
    if stdout:
        stdout.write(text)


def _users():
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["master", "operador", "trader", "trader2"])}
    master = users.get("master") or User.objects.filter(is_superuser=True).first()
    return master, users.get("operador"), users


def _seed_rates(master, rng, now):
    if ExchangeRate.objects.exists():
        return 0
    base = Decimal("3.7450")
    created = 0
    for days_ago in range(DAYS, 0, -1):
        day = timezone.localtime(now - timedelta(days=days_ago)).replace(hour=8, minute=45, second=0, microsecond=0)
        base = money.rate(base + Decimal(rng.randint(-60, 60)) / 10000)
        base = min(max(base, Decimal("3.6500")), Decimal("3.8500"))
        ExchangeRate.objects.create(
            base=base, buy=base - Decimal("0.0150"), sell=base + Decimal("0.0150"), set_by=master, effective_at=day
        )
        created += 1
    # Today's rate, published through the service like the Master would.
    services.publish_rate(
        by=master,
        base=base,
        buy=base - Decimal("0.0150"),
        sell=base + Decimal("0.0150"),
        effective_at=timezone.localtime(now).replace(hour=8, minute=30, second=0, microsecond=0)
        if timezone.localtime(now).hour >= 9
        else now - timedelta(minutes=5),
    )
    return created + 1


def _seed_house_accounts(master):
    created = 0
    for bank, currency, number, cci in HOUSE_ACCOUNTS:
        _obj, new = HouseBankAccount.objects.get_or_create(
            bank=bank, currency=currency, number=number, defaults={"cci": cci, "holder": "QORICASH SAC"}
        )
        created += new
    return created


def _tradable_clients(master, users):
    clients = [
        c
        for c in Client.objects.active().select_related("owner").order_by("id")
        if c.accounts.filter(is_active=True, currency=Currency.USD).exists()
        and c.accounts.filter(is_active=True, currency=Currency.PEN).exists()
        and c.owner.has_perm("operations.add_operation")
    ]
    if clients:
        return clients
    # clients.demo did not run: a few minimal Activo clients so the operations have someone to belong to.
    owner = users.get("trader") or master
    for i in range(3):
        client, _new = Client.objects.get_or_create(
            document_type=DocumentType.DNI,
            document_number=f"7100000{i}",
            defaults={
                "apellido_paterno": "DEMO",
                "apellido_materno": "OPERACIONES",
                "nombres": f"CLIENTE {i + 1}",
                "email": f"cliente.demo{i + 1}@example.pe",
                "owner": owner,
                "created_by": owner,
                "status": ClientStatus.ACTIVE,
            },
        )
        for currency, number in ((Currency.PEN, f"19100000{i}001"), (Currency.USD, f"19300000{i}002")):
            BankAccount.objects.get_or_create(
                client=client, bank=Bank.BCP, account_type=AccountType.SAVINGS, currency=currency, number=number
            )
        clients.append(client)
    return clients


def _move(op, created_at, events_at=None):
    """Move an operation's timestamps into the past, keeping their order."""
    Operation.objects.filter(pk=op.pk).update(created_at=created_at)
    for event in op.events.order_by("id"):
        at = (events_at or {}).get(event.action, created_at)
        OperationEvent.objects.filter(pk=event.pk).update(at=at)


def _one(rng, client, op_type, when, rate_row, target, master, operador, houses, now, in_process_for=None):
    owner = client.owner
    usd = client.accounts.filter(is_active=True, currency=Currency.USD).first()
    pen = client.accounts.filter(is_active=True, currency=Currency.PEN).first()
    source, destination = (usd, pen) if op_type == OperationType.BUY else (pen, usd)
    amount = money.cents(
        Decimal(rng.choice([150, 300, 500, 800, 1000, 1500, 2500, 5000, 7500, 12000, 20000]))
        + Decimal(rng.randint(0, 99)) / 100
    )
    if client.compliance_gaps() and amount >= compliance.origin_threshold():
        amount = money.cents(amount / 10)  # a client still to complete trades only below the threshold
    rate = rate_row.buy if op_type == OperationType.BUY else rate_row.sell
    if rng.random() < 0.2:  # a negotiated rate for a good client
        rate += Decimal("0.0050") if op_type == OperationType.BUY else Decimal("-0.0050")
    op = services.create_operation(
        by=owner,
        client=client,
        type=op_type,
        amount_usd=amount,
        rate=rate,
        source_account=source,
        destination_account=destination,
        notify=False,
    )
    # The base and published rates (and so the profit and the rate guard) of the day it happened.
    op.base_rate = rate_row.base
    op.published_rate = rate_row.buy if op_type == OperationType.BUY else rate_row.sell
    op.recompute()
    rate_guard.evaluate(op)
    Operation.objects.filter(pk=op.pk).update(
        base_rate=op.base_rate,
        published_rate=op.published_rate,
        amount_pen=op.amount_pen,
        profit_pen=op.profit_pen,
        requires_rate_approval=op.requires_rate_approval,
    )
    sent = when + timedelta(minutes=rng.randint(3, 25))
    done = sent + timedelta(minutes=rng.randint(4, 45))
    if in_process_for is not None:
        sent = now - timedelta(minutes=in_process_for)
    done = min(done, now - timedelta(minutes=1))
    sent = min(sent, done - timedelta(minutes=2)) if target != OperationStatus.IN_PROCESS else sent
    events_at = {EventAction.CREATED: when}
    if target == OperationStatus.CANCELLED and rng.random() < 0.7:
        services.cancel_operation(
            op,
            by=owner,
            reason=rng.choice(["El cliente desistió", "Tipo de cambio no aceptado", "Cliente no transfirió a tiempo"]),
            notify=False,
        )
        Operation.objects.filter(pk=op.pk).update(cancelled_at=sent)
        events_at[EventAction.CANCELLED] = sent
        _move(op, when, events_at)
        return op
    if target == OperationStatus.PENDING:
        _move(op, when, events_at)
        return op
    house_in = houses[op.client_sends_currency]
    with_voucher = rng.random() < 0.6
    services.add_movement(
        op,
        Deposit,
        by=owner,
        amount=op.client_sends_amount,
        client_account=source,
        house_account=house_in,
        bank_reference=str(rng.randint(10_000_000, 99_999_999)),
        file=ContentFile(PDF, name="constancia-abono.pdf") if with_voucher else None,
    )
    if compliance.needs_origin_of_funds(op):
        origin = rng.choice(["salary", "business", "savings", "asset_sale", "loan"])
        services.record_funds_declaration(op, by=owner, origin=origin)
    services.send_to_process(op, by=owner)
    op.refresh_from_db()
    events_at.update({EventAction.DEPOSIT_ADDED: when + timedelta(minutes=2), EventAction.SENT_TO_PROCESS: sent})
    Operation.objects.filter(pk=op.pk).update(sent_to_process_at=sent)
    Deposit.objects.filter(operation=op).update(created_at=when + timedelta(minutes=2))
    if target == OperationStatus.CANCELLED:  # cancelled by the Master while in process
        services.cancel_operation(op, by=master, reason="Abono observado por el banco", notify=False)
        Operation.objects.filter(pk=op.pk).update(cancelled_at=done)
        events_at[EventAction.CANCELLED] = done
        _move(op, when, events_at)
        return op
    if target == OperationStatus.IN_PROCESS:
        _move(op, when, events_at)
        return op
    worker = op.assigned_operator or master
    if compliance.needs_pep_approval(op):
        services.approve_compliance(op, by=master, reason="Debida diligencia reforzada: sustento de ingresos revisado.")
    services.add_movement(
        op,
        Payout,
        by=worker,
        amount=op.client_receives_amount,
        client_account=destination,
        house_account=houses[op.client_receives_currency],
        file=ContentFile(PNG, name="constancia-pago.png"),
    )
    services.complete_operation(op, by=worker, notify=False)
    events_at.update({EventAction.PAYOUT_ADDED: done - timedelta(minutes=1), EventAction.COMPLETED: done})
    Operation.objects.filter(pk=op.pk).update(completed_at=done)
    Payout.objects.filter(operation=op).update(created_at=done - timedelta(minutes=1))
    _move(op, when, events_at)
    return op


def _returned(rng, clients, master, houses, now):
    """One operation the operator sent back to Pendiente (the trader's "Operaciones devueltas" panel)."""
    own = [c for c in clients if c.owner.username == "trader"] or clients
    client = rng.choice(own)
    when = now - timedelta(minutes=40)
    op = _one(
        rng,
        client,
        OperationType.BUY,
        when,
        ExchangeRate.objects.current(),
        OperationStatus.IN_PROCESS,
        master,
        None,
        houses,
        now,
        in_process_for=25,
    )
    services.return_to_pending(
        op,
        by=op.assigned_operator or master,
        reason="El abono no figura en el estado de cuenta del banco: verifique el número de operación con el cliente.",
        notify=False,
    )
    OperationEvent.objects.filter(operation=op, action=EventAction.RETURNED).update(at=now - timedelta(minutes=12))
    return op


def _awaiting_approval(clients):
    """A Compra booked well above the published compra: it waits on the supervisors' index panel."""
    own = [c for c in clients if c.owner.username == "trader"] or clients
    client = own[0]
    current = ExchangeRate.objects.current()
    return services.create_operation(
        by=client.owner,
        client=client,
        type=OperationType.BUY,
        amount_usd=Decimal("1000.00"),
        rate=current.buy + Decimal("0.0400"),
        source_account=client.accounts.filter(is_active=True, currency=Currency.USD).first(),
        destination_account=client.accounts.filter(is_active=True, currency=Currency.PEN).first(),
        notes="Tipo de cambio negociado por teléfono: espera la aprobación del supervisor.",
        notify=False,
    )


def seed(stdout=None):
    master, operador, users = _users()
    if master is None:
        _say(stdout, "  (operaciones de demostración omitidas: falta el usuario master)")
        return []
    rng = random.Random(20261127)  # noqa: S311 - demo data
    now = timezone.now()
    rates = _seed_rates(master, rng, now)
    accounts = _seed_house_accounts(master)
    _say(stdout, f"  Tipos de cambio: {rates} nuevos · cuentas de la casa: {accounts} nuevas")
    if Operation.objects.exists():
        _say(stdout, f"  Operaciones: ya hay {Operation.objects.count()}, no se agregan más")
        return []
    clients = _tradable_clients(master, users)
    houses = {
        Currency.USD: HouseBankAccount.objects.filter(currency=Currency.USD, is_active=True).first(),
        Currency.PEN: HouseBankAccount.objects.filter(currency=Currency.PEN, is_active=True).first(),
    }
    plan = []
    per_day = max(1, (TARGET - 20) // DAYS)
    for days_ago in range(DAYS, 0, -1):
        for _ in range(per_day + rng.randint(-1, 1)):
            target = OperationStatus.CANCELLED if rng.random() < 0.1 else OperationStatus.COMPLETED
            plan.append((days_ago, target))
    # Today: a working queue (some pending, some in process, two already over the SLA).
    plan += [(0, OperationStatus.COMPLETED)] * 6 + [(0, OperationStatus.CANCELLED)] * 2
    plan += [(0, OperationStatus.IN_PROCESS)] * len(IN_PROCESS_MINUTES) + [(0, OperationStatus.PENDING)] * 6
    created = []
    local_now = timezone.localtime(now)
    in_process_minutes = list(IN_PROCESS_MINUTES)
    # Seeded just after midnight, today's queue would fall into yesterday (or last month, leaving every
    # goal at zero): squeeze it into the minutes today has had so far.
    today_count = sum(1 for days_ago, _target in plan if not days_ago)
    elapsed = (local_now - local_now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds() / 60
    squeeze = min(1.0, max(elapsed - 1, 0) / (6 * today_count + 45))
    # Today's completed operations go to every trader in turn, so each one's goal shows progress.
    by_owner = {}
    for client in clients:
        by_owner.setdefault(client.owner_id, []).append(client)
    owners = list(by_owner)
    today_done = 0
    for n, (days_ago, target) in enumerate(plan):
        minutes = None
        client = rng.choice(clients)
        if days_ago:
            day = local_now - timedelta(days=days_ago)
            when = day.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59), second=rng.randint(0, 59))
        else:
            when = now - timedelta(minutes=(6 * (len(plan) - n) + 45) * squeeze)
            if target == OperationStatus.IN_PROCESS:
                minutes = in_process_minutes.pop()
            elif target == OperationStatus.COMPLETED:
                client = rng.choice(by_owner[owners[today_done % len(owners)]])
                today_done += 1
        rate_row = ExchangeRate.objects.current(at=when) or ExchangeRate.objects.current()
        op_type = OperationType.BUY if rng.random() < 0.55 else OperationType.SELL
        created.append(_one(rng, client, op_type, when, rate_row, target, master, operador, houses, now, minutes))
    created.append(_returned(rng, clients, master, houses, now))
    created.append(_awaiting_approval(clients))
    # The operations were moved into the past after the services flagged them in today's month.
    for client in clients:
        services.refresh_client_register_flags(client, by=master)
    # The deposits and payouts were moved into the past too: their accounts' stored day balances follow.
    treasury_ledger.rebuild_all()
    counts = {s.label: Operation.objects.filter(status=s).count() for s in OperationStatus}
    _say(stdout, "  Operaciones: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return created
