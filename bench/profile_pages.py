"""Python CPU of the pages staff use: each page N times through Django's test client in one process,
as production runs it (DEBUG=false, the cached template loader), with the median wall time, the
median CPU time of this thread (the Python work, without the database's) and optionally a cProfile
of the loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qc_bench \
        .venv/bin/python bench/profile_pages.py [page-name-filter ...] [--n 50] [--profile out.prof]

The bare admin (/bare-admin/, BENCH=true) is measured as "bare admin" for the ours/bare ratio.
Everything runs in one transaction that is rolled back: the logins, sessions and audit entries of
the run leave nothing in the benchmark database.
"""

import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoricash.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["BENCH"] = "true"
os.environ["RATELIMIT_ENABLE"] = "false"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("CONN_MAX_AGE", "60")
# The hashed static files production serves (a scratch directory, filled once).
os.environ.setdefault("STATIC_ROOT", str(Path(tempfile.gettempdir()) / "qoricash-profile-static"))


def main():
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    if not Path(os.environ["STATIC_ROOT"], "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    # The test client keeps the connection open between requests, so one transaction holds them all.
    with transaction.atomic():
        measure()
        transaction.set_rollback(True)


def measure():
    from django.test import Client
    from pages import ROLES, pages

    from accounts.models import User

    args = sys.argv[1:]
    n = int(args[args.index("--n") + 1]) if "--n" in args else 50
    out = args[args.index("--profile") + 1] if "--profile" in args else None
    skip = {a for i, a in enumerate(args) if i and args[i - 1] in ("--n", "--profile")}
    wanted = [a for a in args if not a.startswith("--") and a not in skip]
    todo = [p for p in pages() if not p[0].startswith("history export")]
    todo.append(("bare admin", "master", "/bare-admin/operations/operation/"))
    names = {p[0] for p in todo}
    # A page's full name picks that page only; anything else picks every page whose name contains it.
    todo = [p for p in todo if not wanted or any(w == p[0] or (w not in names and w in p[0]) for w in wanted)]
    clients = {}
    profiler = None
    if out:
        import cProfile

        profiler = cProfile.Profile()
    for name, role, url in todo:
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(User.objects.get(username=ROLES[role]))
        client = clients[role]
        for _ in range(3):  # warm-up: templates compiled, connection open
            client.get(url, secure=True)
        times, cpu = [], []
        for _ in range(n):
            started, cpu_started = time.perf_counter(), time.thread_time()
            if profiler:
                profiler.enable()
            response = client.get(url, secure=True)
            if profiler:
                profiler.disable()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - cpu_started) * 1000)
        print(
            f"{name:<34} {response.status_code} median {statistics.median(times):6.1f} ms"
            f"  cpu {statistics.median(cpu):6.1f} ms  min {min(times):6.1f} ms"
            f"  queries {response.get('X-Query-Count', '?')}",
            flush=True,
        )
    if profiler:
        profiler.dump_stats(out)


if __name__ == "__main__":
    main()
