"""Benchmark: the clients export of the whole list as one user, on an existing database (read only).

Builds the file exactly as the background export does (the admin's export queryset for that user,
`clients.exports.write_clients_xlsx`) and prints rows, CPU time, wall time and peak RSS. Nothing is
written to the database (no audit entry): run it on generated data, by hand, and copy the figures
into docs/benchmarks.md ("Exportaciones").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qc_bench .venv/bin/python bench/export_clients_bench.py
    ... bench/export_clients_bench.py --user gen.trader01 --output clients.xlsx
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", default="gen.master")
    parser.add_argument("--output", help="keep the file here (default: a temporary file, removed)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoricash.settings")
    import django

    django.setup()

    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    from clients.exports import write_clients_xlsx
    from clients.models import Client
    from clients.resources import ClientResource

    user = get_user_model().objects.get(username=args.user)
    request = RequestFactory().get("/admin/clients/client/export/")
    request.user = user
    queryset = admin.site.get_model_admin(Client).get_export_queryset(request)

    cpu, wall = time.process_time(), time.monotonic()
    if args.output:
        rows = write_clients_xlsx(ClientResource(user=user), queryset, args.output)
    else:
        with tempfile.TemporaryFile(suffix=".xlsx") as target:
            rows = write_clients_xlsx(ClientResource(user=user), queryset, target)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    print(
        f"{rows:,} clients as {args.user}: CPU {cpu:.1f} s, wall {wall:.1f} s, "
        f"peak RSS {peak_mb:.0f} MB, load average {load:.1f}"
    )


if __name__ == "__main__":
    main()
