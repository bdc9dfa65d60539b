"""Where a page's time goes: each page once through Django's test client (no server), with its SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qc_bench \
        .venv/bin/python bench/probe.py [page-name-filter] [--explain]

Prints every page's query count and time, and its slowest queries (with EXPLAIN ANALYZE when asked).
A development aid next to `make bench`, which measures through gunicorn.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoricash.settings")
os.environ.setdefault("DEBUG", "true")


def main():
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pages import ROLES, pages

    from accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    wanted = [a for a in sys.argv[1:] if not a.startswith("--")]
    explain = "--explain" in sys.argv
    clients = {}
    for name, role, url in pages():
        if wanted and not any(w in name for w in wanted):
            continue
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(User.objects.get(username=ROLES[role]))
        client = clients[role]
        client.get(url)  # warm-up
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                for _chunk in response.streaming_content:
                    pass
            elapsed = (time.perf_counter() - started) * 1000
        queries = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        print(f"{name:<34} {response.status_code} {elapsed:8.1f} ms  {len(queries):3d} queries  sql {sql_ms:7.1f} ms")
        for q in queries[:3]:
            print(f"      {float(q['time']) * 1000:7.1f} ms  {q['sql'][:400]}")
            if explain and float(q["time"]) > 0.02:
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                    for (line,) in cursor.fetchall():
                        print("          " + line)


if __name__ == "__main__":
    main()
