"""The generator's plan: staff, house accounts, a rate per day, clients with their accounts, the
operations (reports.datagen.operations) and the traders' goals, in one transaction, then ANALYZE.

Deterministic: the same options (seed, sizes, end date) give the same rows.
"""

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import MASTER, OPERADOR, TRADER
from clients.models import BankAccount, Client, ClientStatus, Currency
from operations import treasury_ledger
from operations.models import (
    CodeCounter,
    Deposit,
    ExchangeRate,
    HouseBankAccount,
    OpeningBalance,
    Operation,
    OperationEvent,
    Payout,
)
from operations.services.creation import CODE_COUNTER
from reports.datagen import operations as op_gen
from reports.datagen import people
from reports.datagen.tables import Table, analyze, reset_sequences, skip_trigger_checks
from reports.models import TraderGoal
from reports.services import LIMA

# A minimal valid PDF, stored once and shared by every generated voucher (downloads work).
VOUCHER_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n%%EOF\n"
)
USERNAME_PREFIX = "gen."


@dataclass
class Plan:
    operations: int
    clients: int
    seed: int = 1
    until: dt.date | None = None  # the last day with operations (default today, Lima)
    days: int | None = None  # default: about 36,000 operations a year, at most five years
    traders: int = 10
    operators: int = 4
    password: str | None = None

    def day_count(self):
        if self.days:
            return self.days
        return max(30, min(5 * 365, round(self.operations / 36_000 * 365)))


class Refused(Exception):
    """The database is not one the generator may fill (it already holds business data)."""


def generate(plan, progress):
    """Fill an empty database; returns {table label: rows}."""
    if Operation.objects.exists() or Client.objects.exists():
        raise Refused("The database already has clients or operations: generate into an empty database.")
    rnd = random.Random(plan.seed)
    now = timezone.now()
    until = plan.until or timezone.localtime(now, LIMA).date()
    days = [until - dt.timedelta(days=n) for n in range(plan.day_count() - 1, -1, -1)]
    with transaction.atomic():
        staff = make_staff(plan)
        skip_trigger_checks()  # after the ORM writes: users and groups keep their usual checks
        house = make_house_accounts()
        make_openings(house, days[0], staff["master"])
        voucher = store_voucher()
        rates = make_rates(days, staff["master"], rnd, progress)
        clients = make_clients(plan, days, staff, rnd, progress)
        tables = {
            "operations": Table(Operation, op_gen.OPERATION_FIELDS),
            "deposits": Table(Deposit, op_gen.DEPOSIT_FIELDS),
            "payouts": Table(Payout, op_gen.PAYOUT_FIELDS),
            "events": Table(OperationEvent, op_gen.EVENT_FIELDS),
        }
        cutoff = min(now, dt.datetime.combine(until, op_gen.CLOSING, tzinfo=LIMA) + op_gen.SETTLING)
        last_code = op_gen.write_operations(
            plan, days, rates, clients, staff, house, voucher, tables, rnd, cutoff, progress
        )
        for table in tables.values():
            table.flush()
        # The movements were written around the services: the house accounts' day balances from them.
        treasury_ledger.rebuild_all()
        CodeCounter.objects.update_or_create(name=CODE_COUNTER, defaults={"last_value": last_code})
        goals = make_goals(days, staff, rnd)
    reset_sequences([BankAccount, Client, Operation, Deposit, Payout, OperationEvent, ExchangeRate, TraderGoal])
    progress.note("ANALYZE")
    analyze()
    counts = {"clients": len(clients), "rates": len(rates), "goals": goals}
    counts.update({name: table.count for name, table in tables.items()})
    return counts


def make_staff(plan):
    password = make_password(plan.password)  # hashed once: every generated user shares it
    groups = {role: Group.objects.get(name=role) for role in (MASTER, OPERADOR, TRADER)}

    def user(name, first, last, role):
        username = f"{USERNAME_PREFIX}{name}"
        found, _created = User.objects.update_or_create(
            username=username,
            defaults={
                "email": f"{username}@qoricash.example.pe",
                "first_name": first,
                "last_name": last,
                "is_staff": True,
                "is_active": True,
                "password": password,
            },
        )
        found.groups.set([groups[role]])
        return found

    surnames = people.SURNAMES
    return {
        "master": user("master", "MARÍA", "QUISPE", MASTER).pk,
        "traders": [
            user(f"trader{n:02d}", people.GIVEN_NAMES[n % 40].title(), surnames[n].title(), TRADER).pk
            for n in range(1, plan.traders + 1)
        ],
        "operators": [
            user(f"operator{n:02d}", people.GIVEN_NAMES[-n].title(), surnames[-n].title(), OPERADOR).pk
            for n in range(1, plan.operators + 1)
        ],
    }


def make_house_accounts():
    accounts = {Currency.PEN: [], Currency.USD: []}
    for n, (bank, currency) in enumerate(
        [("BCP", Currency.PEN), ("BCP", Currency.USD), ("INTERBANK", Currency.PEN), ("INTERBANK", Currency.USD)]
    ):
        account, _created = HouseBankAccount.objects.get_or_create(
            bank=bank, currency=currency, number=f"1939{n:010d}", defaults={"cci": f"002{n:017d}"}
        )
        accounts[currency].append((account.pk, str(account)))
    return accounts


# Enough for years of generated payouts: the treasury pages then show real balances, not "sin saldo inicial".
OPENING_AMOUNTS = {Currency.PEN: Decimal("5000000.00"), Currency.USD: Decimal("1500000.00")}


def make_openings(house, first_day, master):
    """An opening balance for every house account on the first generated day, so the day balances
    (and the pages and panels reading them) carry the whole history, as in production."""
    OpeningBalance.objects.bulk_create(
        OpeningBalance(account_id=pk, date=first_day, amount=OPENING_AMOUNTS[currency], set_by_id=master)
        for currency, accounts in house.items()
        for pk, _label in accounts
    )


def store_voucher():
    """(storage name, original name, size, sha256) of the one voucher file every row points at."""
    storage = Deposit._meta.get_field("file").storage
    name = storage.save("vouchers/generated/voucher.pdf", ContentFile(VOUCHER_PDF))
    return name, "voucher.pdf", len(VOUCHER_PDF), hashlib.sha256(VOUCHER_PDF).hexdigest()


def make_rates(days, master, rnd, progress):
    """One rate per day at 08:00 Lima (a random walk around 3.75); returns {day: (base, buy, sell)}."""
    table = Table(ExchangeRate, ["base", "buy", "sell", "set_by", "effective_at"])
    base = Decimal("3.7500")
    rates = {}
    for day in days:
        base = min(max(base + Decimal(rnd.randint(-80, 80)) / 10000, Decimal("3.3000")), Decimal("4.1000"))
        spread = Decimal(rnd.randint(80, 160)) / 10000
        rates[day] = (base, base - spread, base + spread)
        table.add((base, base - spread, base + spread, master, dt.datetime.combine(day, dt.time(8), tzinfo=LIMA)))
    table.flush()
    progress.note(f"exchange rates: {len(rates):,}")
    return rates


def make_clients(plan, days, staff, rnd, progress):
    """Clients in order of registration, each with 2-4 accounts (one PEN, one USD at least).

    Returns a list of `op_gen.ClientRow` (what operations need), in the same order. The newest 3 %
    were never activated (nothing traded with them yet); 3 % of the others were deactivated later.
    """
    clients_t = Table(Client, CLIENT_FIELDS)
    accounts_t = Table(BankAccount, ACCOUNT_FIELDS)
    first = dt.datetime.combine(days[0], dt.time(9), tzinfo=LIMA)
    last = dt.datetime.combine(days[-1], dt.time(17), tzinfo=LIMA)
    legacy = int(plan.clients * 0.3)  # registered before the first generated day
    review = max(1, plan.clients * 3 // 100)
    salt = rnd.randrange(10**6)
    rows = []
    previous = first - dt.timedelta(days=366)
    bar = progress.bar("clients", plan.clients)
    for i in range(plan.clients):
        if i < legacy:
            created = first - dt.timedelta(days=365) * (legacy - i) / legacy
        else:
            created = first + (last - first) * (i - legacy) / max(1, plan.clients - legacy)
        created = max(created + dt.timedelta(minutes=rnd.randint(0, 480)), previous)
        previous = created  # registration order: operations pick among clients registered before them
        doc_type, number = people.document(i, rnd, salt)
        fields = {"document_type": doc_type, "document_number": number}
        fields.update(people.names(doc_type, rnd))
        fields.update(people.contact(i, rnd))
        owner = staff["traders"][rnd.randrange(len(staff["traders"]))]
        status, changed_at, changed_by = ClientStatus.ACTIVE, created, staff["master"]
        if i >= plan.clients - review:
            status, changed_at, changed_by = ClientStatus.INACTIVE, None, None
        elif rnd.random() < 0.03:
            status, changed_at = ClientStatus.INACTIVE, created + (last - created) * rnd.random()
        client_id = clients_t.next_id()
        fields["search_text"] = Client(**fields).build_search_text()
        clients_t.add(
            (client_id, *(fields.get(name, "") for name in CLIENT_TEXT_FIELDS))
            + (False, status, owner, owner, changed_by, changed_at, created, changed_at or created)
        )
        accounts = {}
        for currency in people.account_currencies(rnd):
            account_id = accounts_t.next_id()
            bank, kind, cur, acc_number, cci, location, snapshot = people.account(account_id, currency, rnd)
            accounts_t.add((account_id, client_id, bank, kind, cur, acc_number, cci, location, True, created))
            accounts.setdefault(currency, (account_id, snapshot))
        deactivated = changed_at if status == ClientStatus.INACTIVE and changed_at else None
        pen, usd = accounts[Currency.PEN], accounts[Currency.USD]
        rows.append(op_gen.ClientRow(client_id, owner, created, deactivated, pen, usd))
        bar.update(i + 1)
    clients_t.flush()
    accounts_t.flush()
    bar.done()
    return rows[: plan.clients - review]  # operations only for clients that were activated


CLIENT_TEXT_FIELDS = (
    "document_type",
    "document_number",
    "apellido_paterno",
    "apellido_materno",
    "nombres",
    "occupation",
    "razon_social",
    "contact_person",
    "email",
    "phones",
    "address",
    "district",
    "province",
    "department",
    "search_text",
)
CLIENT_FIELDS = (
    "id",
    *CLIENT_TEXT_FIELDS,
    "is_pep",
    "status",
    "owner",
    "created_by",
    "status_changed_by",
    "status_changed_at",
    "created_at",
    "updated_at",
)
ACCOUNT_FIELDS = (
    "id",
    "client",
    "bank",
    "account_type",
    "currency",
    "number",
    "cci",
    "location",
    "is_active",
    "created_at",
)


def make_goals(days, staff, rnd):
    """A profit goal per trader and month of the period (the goals panel reads them)."""
    months = sorted({(d.year, d.month) for d in days if d.year >= 2020})
    goals = [
        TraderGoal(
            trader_id=trader,
            year=year,
            month=month,
            goal_pen=Decimal(rnd.randint(8, 30) * 500),
            set_by_id=staff["master"],
        )
        for year, month in months
        for trader in staff["traders"]
    ]
    TraderGoal.objects.bulk_create(goals, batch_size=1000)
    return len(goals)
