"""Benchmark: export 100,000 operations with `manage.py export_history` and measure peak memory.

Loads the rows into a throwaway database (never the project's), then runs the command under
`/usr/bin/time -v` and prints peak RSS and wall time. Not a test: run it by hand and copy the
figures into docs/benchmarks.md.

    .venv/bin/python bench/export_history_bench.py                 # PostgreSQL database qc_bench
    .venv/bin/python bench/export_history_bench.py --db sqlite     # qc_bench.sqlite3 in the temp folder
    .venv/bin/python bench/export_history_bench.py --rows 20000 --keep
    .venv/bin/python bench/export_history_bench.py --reuse --keep     # measure again, same data

The PostgreSQL database `qc_bench` on 127.0.0.1:5432 (user postgres) is dropped and created again.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/qc_bench"
SQLITE_PATH = Path(tempfile.gettempdir()) / "qc_bench.sqlite3"


def recreate_postgres():
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS qc_bench")
        conn.execute("CREATE DATABASE qc_bench")


def run(cmd, env, **kwargs):
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


def load(rows, env):
    """Fill the database in this process through the ORM (bulk_create), then leave."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoricash.settings")
    import django

    django.setup()

    import datetime as dt
    import random
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from accounts.models import User
    from clients.models import AccountType, Bank, BankAccount, Client, ClientStatus, Currency, DocumentType
    from operations.models import Operation, OperationStatus, OperationType

    rnd = random.Random(20261127)
    lima = ZoneInfo("America/Lima")
    started = time.monotonic()
    with transaction.atomic():
        master = User.objects.create(username="bench_master", email="bench_master@example.pe", is_staff=True)
        master.groups.add(Group.objects.get(name="Master"))
        traders = User.objects.bulk_create(
            [
                User(
                    username=f"bench_t{i}",
                    email=f"bench_t{i}@example.pe",
                    first_name="Trader",
                    last_name=str(i),
                    is_staff=True,
                )
                for i in range(10)
            ]
        )
        Group.objects.get(name="Trader").user_set.add(*traders)
        operator = User.objects.create(
            username="bench_op", email="bench_op@example.pe", first_name="Óscar", last_name="Huamán", is_staff=True
        )
        clients = Client.objects.bulk_create(
            [
                Client(
                    document_type=DocumentType.DNI,
                    document_number=f"{10000000 + i:08d}",
                    apellido_paterno="QUISPE",
                    apellido_materno="MAMANI",
                    nombres=f"CLIENTE {i}",
                    email=f"c{i}@example.pe",
                    status=ClientStatus.ACTIVE,
                    owner=traders[i % 10],
                    created_by=traders[i % 10],
                )
                for i in range(2000)
            ]
        )
        accounts = BankAccount.objects.bulk_create(
            [
                BankAccount(
                    client=c,
                    bank=Bank.BCP,
                    account_type=AccountType.SAVINGS,
                    currency=cur,
                    number=f"19{c.pk:06d}{n:05d}",
                )
                for n, (c, cur) in enumerate((c, cur) for c in clients for cur in (Currency.PEN, Currency.USD))
            ]
        )
        by_client = {}
        for account in accounts:
            by_client.setdefault(account.client_id, {})[account.currency] = account

        # Written as given (spread over the year), not "now": switch auto_now_add off while loading.
        Operation._meta.get_field("created_at").auto_now_add = False
        start = dt.datetime(2026, 1, 1, 8, 0, tzinfo=lima)
        batch = []
        statuses = [OperationStatus.COMPLETED] * 8 + [OperationStatus.PENDING, OperationStatus.CANCELLED]
        for i in range(rows):
            client = clients[i % len(clients)]
            op_type = OperationType.BUY if i % 2 else OperationType.SELL
            usd = Decimal(rnd.randint(100, 5_000_000)) / 100
            rate = Decimal("3.7") + Decimal(rnd.randint(0, 800)) / 10000
            base = Decimal("3.7400")
            pen, profit = Operation.compute_amounts(op_type, usd, rate, base)
            pen_acc, usd_acc = by_client[client.pk][Currency.PEN], by_client[client.pk][Currency.USD]
            src, dst = (usd_acc, pen_acc) if op_type == OperationType.BUY else (pen_acc, usd_acc)
            status = statuses[i % len(statuses)]
            created = start + dt.timedelta(seconds=i * 330 * 86400 // rows)  # spread over 330 days
            batch.append(
                Operation(
                    code=f"EXP-{100001 + i}",
                    client=client,
                    type=op_type,
                    amount_usd=usd,
                    rate=rate,
                    base_rate=base,
                    amount_pen=pen,
                    profit_pen=profit,
                    source_account=src,
                    destination_account=dst,
                    source_snapshot=f"BCP {src.currency} {src.number}",
                    destination_snapshot=f"BCP {dst.currency} {dst.number}",
                    status=status,
                    created_by=client.owner,
                    trader=client.owner,
                    assigned_operator=operator if status == OperationStatus.COMPLETED else None,
                    processed_by=operator if status == OperationStatus.COMPLETED else None,
                    created_at=created,
                    completed_at=created + dt.timedelta(minutes=9) if status == OperationStatus.COMPLETED else None,
                )
            )
            if len(batch) == 5000:
                Operation.objects.bulk_create(batch)
                batch = []
        Operation.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as autovacuum keeps them in production
    print(f"loaded {rows:,} operations in {time.monotonic() - started:.1f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--output", default=str(Path(tempfile.gettempdir()) / "qc_bench_history.xlsx"))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure again on the database kept by --keep")
    parser.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    url = PG_URL if args.db == "postgres" else f"sqlite:///{SQLITE_PATH}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true", "LOG_LEVEL": "WARNING"}
    if args.load_only:
        load(args.rows, {"DATABASE_URL": url, "DEBUG": "true", "LOG_LEVEL": "WARNING"})
        return

    python = sys.executable
    if not args.reuse:
        if args.db == "postgres":
            recreate_postgres()
        else:
            SQLITE_PATH.unlink(missing_ok=True)
        run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        run([python, __file__, "--db", args.db, "--rows", str(args.rows), "--load-only"], env)

    command = [
        python,
        "manage.py",
        "export_history",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--output",
        args.output,
    ]
    print("$ /usr/bin/time -v " + " ".join(command), flush=True)
    load_before = os.getloadavg()[0]
    result = run(["/usr/bin/time", "-v", *command], env, capture_output=True, text=True)
    print(result.stdout)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1)
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", result.stderr))
    size = Path(args.output).stat().st_size
    load_after = os.getloadavg()[0]
    print(f"database: {args.db}  rows: {args.rows:,}  load average before: {load_before:.1f}, after: {load_after:.1f}")
    print(f"peak RSS: {rss_kb / 1024:.1f} MB  wall: {wall}  CPU: {cpu:.1f} s  file: {size / 1024 / 1024:.1f} MB")
    if not args.keep and args.db == "sqlite":
        SQLITE_PATH.unlink(missing_ok=True)
    if not args.keep and args.db == "postgres":
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS qc_bench")
    sys.exit(0 if rss_kb < 150 * 1024 else 1)


if __name__ == "__main__":
    main()
