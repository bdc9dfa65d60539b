"""Benchmark: import a clients file of 5,000 new clients through the admin, preview and confirm.

Builds a deterministic xlsx with the template's columns (persons with DNI, CE or passport and
companies with a valid RUC, 2 to 4 bank accounts each, a quarter of them naming a trader in
"Ejecutivo"), then, as a Master, posts it to the admin's import page (the preview: a dry run that
renders the page) and confirms it (the import itself), with Django's test client against the
database of DATABASE_URL. For each step it prints wall time, this process's CPU time, the
PostgreSQL backend's CPU time, the number of SQL queries and the step's peak RSS. Afterwards it
checks the audit trail (`verify_chain`) and that every row was saved.

Not a test: run it by hand and copy the figures into docs/benchmarks.md ("Importación de clientes").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qc_bench_import .venv/bin/python bench/client_import.py
    ... bench/client_import.py --rows 2000 --profile preview   # cProfile of one step, top 40 functions
    ... bench/client_import.py --write /tmp/clientes.xlsx      # only write the file

The database is migrated if needed. The clients a previous run imported (their creator is the
bench user) are removed first, so every run imports the same new clients; the audit trail keeps
growing, as it does in production.
"""

import argparse
import contextlib
import io
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261204
FIRST_INDEX = 7_000_000  # client numbers far from those of generate_data, so documents never collide
FIRST_ACCOUNT = 70_000_000


def setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoricash.settings")
    # One connection for the whole run, so the PostgreSQL backend's CPU time can be read.
    os.environ.setdefault("CONN_MAX_AGE", "600")
    import django

    django.setup()


def build_rows(n, trader_username):
    """(headers, rows) of the file: the import template's columns, n valid new clients."""
    from clients.models import BankAccount, DocumentType
    from clients.resources import AccountCellWidget, ClientResource
    from reports.datagen import people

    resource = ClientResource()
    fields = resource.get_import_fields()
    names = [resource.get_field_name(f) for f in fields]
    cell = AccountCellWidget(full_numbers=True)
    rnd = random.Random(SEED)
    account_id = FIRST_ACCOUNT
    rows = []
    for i in range(FIRST_INDEX, FIRST_INDEX + n):
        document_type, number = people.document(i, rnd, SEED % 1000)
        values = {"document_type": str(DocumentType(document_type).label), "document_number": number}
        values.update(people.names(document_type, rnd))
        values.update(people.contact(i, rnd))
        if document_type == DocumentType.RUC:
            values["economic_activity"] = "COMERCIO AL POR MAYOR"
            values["legal_rep_name"] = values["contact_person"]
            values["legal_rep_document_number"] = f"{10**7 + (i * 7919) % (9 * 10**7):08d}"
        else:
            values["nationality"] = "Peruana"
            day, month, year = rnd.randrange(1, 29), rnd.randrange(1, 13), rnd.randrange(1950, 2000)
            values["date_of_birth"] = f"{day:02d}/{month:02d}/{year}"
        values["is_pep"] = "No"
        if rnd.random() < 0.25:
            values["owner"] = trader_username
        for n_account, currency in enumerate(people.account_currencies(rnd), 1):
            account_id += 1
            bank, account_type, currency, number, cci, location, _snapshot = people.account(account_id, currency, rnd)
            values[f"account_{n_account}"] = cell.render(
                BankAccount(
                    bank=bank, account_type=account_type, currency=currency, number=number, cci=cci, location=location
                )
            )
        rows.append([values.get(name, "") for name in names])
    return [str(f.column_name) for f in fields], rows


def xlsx_bytes(headers, rows):
    from django.utils.translation import gettext as _

    from clients.exports import write_table

    out = io.BytesIO()
    write_table(out, _("Clients"), headers, rows)
    return out.getvalue()


def bench_users():
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import MASTER, TRADER

    master, _created = User.objects.get_or_create(
        username="bench.import.master",
        defaults={"email": "bench.import.master@example.pe", "is_staff": True, "first_name": "Bench"},
    )
    master.groups.add(Group.objects.get(name=MASTER))
    trader, _created = User.objects.get_or_create(
        username="bench.import.trader",
        defaults={"email": "bench.import.trader@example.pe", "is_staff": True, "first_name": "Trader"},
    )
    trader.groups.add(Group.objects.get(name=TRADER))
    return master, trader


def forget_previous_run(master):
    """The clients an earlier run imported, and their accounts, go (the trail stays: append-only)."""
    from django.contrib.admin.models import LogEntry
    from django.db import transaction

    from clients.models import BankAccount, Client

    with transaction.atomic():
        ids = list(Client.objects.filter(created_by=master).values_list("pk", flat=True))
        BankAccount.objects.filter(client_id__in=ids).delete()
        Client.objects.filter(pk__in=ids).delete()
        LogEntry.objects.filter(user=master).delete()
    return len(ids)


class Meter:
    """Wall, this process's CPU, the database backend's CPU, queries and peak RSS of one step."""

    def __init__(self, connection):
        self.connection = connection
        self.queries = 0

    def _count(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)

    @staticmethod
    def _backend_cpu(pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _peak_rss_mb():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def __enter__(self):
        self.connection.ensure_connection()
        self.pid = self.connection.connection.info.backend_pid if self.connection.vendor == "postgresql" else None
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM: the peak of this step only
        self.db_cpu0 = self._backend_cpu(self.pid) if self.pid else None
        self.wrapper = self.connection.execute_wrapper(self._count)
        self.wrapper.__enter__()
        self.cpu0, self.wall0 = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        self.wrapper.__exit__(*exc)
        db_cpu1 = self._backend_cpu(self.pid) if self.pid else None
        self.db_cpu = None if self.db_cpu0 is None or db_cpu1 is None else db_cpu1 - self.db_cpu0
        self.peak_rss = self._peak_rss_mb()

    def line(self, name):
        db = "n/a" if self.db_cpu is None else f"{self.db_cpu:.1f} s"
        return (
            f"{name:8s} wall {self.wall:6.1f} s   CPU {self.cpu:6.1f} s   db CPU {db:>7s}   "
            f"{self.queries:7d} queries   peak RSS {self.peak_rss:.0f} MB"
        )


def hidden_inputs(html):
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def profiled(enabled, call):
    if not enabled:
        return call()
    import cProfile
    import pstats

    profile = cProfile.Profile()
    try:
        return profile.runcall(call)
    finally:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--profile", choices=("preview", "confirm"), help="print a cProfile of that step")
    parser.add_argument("--write", metavar="PATH", help="only write the file there")
    args = parser.parse_args()

    setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as Browser
    from django.urls import reverse

    from accounts.auditchain import verify_chain
    from accounts.models import AuditEntry
    from clients.models import BankAccount, Client

    if args.write:
        headers, rows = build_rows(args.rows, "bench.import.trader")
        Path(args.write).write_bytes(xlsx_bytes(headers, rows))
        print(f"{args.rows} rows written to {args.write}")
        return

    call_command("migrate", verbosity=0)
    master, trader = bench_users()
    removed = forget_previous_run(master)
    started = time.perf_counter()
    headers, rows = build_rows(args.rows, trader.username)
    content = xlsx_bytes(headers, rows)
    print(f"load average {os.getloadavg()[0]:.1f} before the run (the machine may be shared)")
    print(
        f"{args.rows} rows, {len(headers)} columns, {len(content) // 1024} KiB "
        f"(built in {time.perf_counter() - started:.1f} s; {removed} clients of an earlier run removed)"
    )

    browser = Browser()
    browser.force_login(master)
    audit_before = AuditEntry.objects.count()

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("clientes.xlsx", content)
    with Meter(connection) as preview:
        response = profiled(
            args.profile == "preview",
            lambda: browser.post(
                reverse("admin:clients_client_import"), {"resource": "0", "format": "0", "import_file": upload}
            ),
        )
    html = response.content.decode()
    confirm = hidden_inputs(html)
    if response.status_code != 200 or "import_file_name" not in confirm:
        errors = re.findall(r"<li[^>]*>(.*?)</li>", html)[:20]
        sys.exit(f"preview refused the file (HTTP {response.status_code}): {errors}")
    print(preview.line("preview"), f"  page {len(response.content) // 1024} KiB")

    with Meter(connection) as confirmed:
        response = profiled(
            args.profile == "confirm",
            lambda: browser.post(reverse("admin:clients_client_process_import"), confirm),
        )
    if response.status_code != 302 or "/import/" in response["Location"]:
        sys.exit(f"confirm failed (HTTP {response.status_code})")
    print(confirmed.line("confirm"))

    imported = Client.objects.filter(created_by=master)
    accounts = BankAccount.objects.filter(client__in=imported).count()
    chain = verify_chain()
    print(
        f"saved: {imported.count()} clients, {accounts} accounts; "
        f"audit entries written: {AuditEntry.objects.count() - audit_before}; "
        f"audit chain {'intact' if chain.ok else 'BROKEN at ' + str(chain.broken_id)} ({chain.checked} entries)"
    )
    print(f"load average {os.getloadavg()[0]:.1f} after the run")
    if imported.count() != args.rows or not chain.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
