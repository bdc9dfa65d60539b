"""pg_dump the database to a dated file and keep the last N days of dumps.

The previous system's scripts never pruned old dumps, needed an uninstalled library and blocked on
`pause`; this one runs unattended (cron, Render cron job, Windows Task Scheduler) and fails loudly.
"""

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

PREFIX = "qoricash_"
SUFFIX = ".dump"


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not match:
        raise CommandError(f"Could not read a version from: {version_text!r}")
    return int(match.group(1))


class Command(BaseCommand):
    help = "Back up the PostgreSQL database with pg_dump -Fc and prune dumps older than --keep-days."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default="backups", help="Folder for the dumps (created if missing).")
        parser.add_argument("--keep-days", type=int, default=30, help="Delete dumps older than this (0 keeps all).")
        parser.add_argument("--pg-dump", default="pg_dump", help="pg_dump binary to use.")

    def handle(self, *args, dir, keep_days, pg_dump, **options):
        if connection.vendor != "postgresql":
            raise CommandError("backup_database needs PostgreSQL (DATABASE_URL); SQLite is a file: copy it.")
        binary = shutil.which(pg_dump)
        if not binary:
            raise CommandError(f"{pg_dump} not found: install the PostgreSQL client (same major version or newer).")
        if keep_days < 0:
            raise CommandError("--keep-days cannot be negative.")
        client_version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server_version = cursor.fetchone()[0]
        if _major(client_version) < _major(server_version):
            raise CommandError(
                f"pg_dump is too old for this server: client {client_version.strip()}, server {server_version}. "
                "Install a PostgreSQL client of the server's major version or newer."
            )
        folder = Path(dir)
        folder.mkdir(parents=True, exist_ok=True)
        # A file name, not a display: sortable and free of characters file systems refuse.
        stamp = f"{timezone.localtime():%Y%m%d_%H%M%S}"
        target = folder / f"{PREFIX}{stamp}{SUFFIX}"
        db = settings.DATABASES["default"]
        env = {"PGPASSWORD": str(db.get("PASSWORD") or ""), "PATH": "/usr/bin:/bin:/usr/local/bin"}
        cmd = [binary, "-Fc", "--no-owner", "-f", str(target), "-d", db["NAME"]]
        if db.get("HOST"):
            cmd += ["-h", str(db["HOST"])]
        if db.get("PORT"):
            cmd += ["-p", str(db["PORT"])]
        if db.get("USER"):
            cmd += ["-U", str(db["USER"])]
        result = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            target.unlink(missing_ok=True)
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        self.stdout.write(f"Backup written: {target} ({target.stat().st_size:,} bytes)")
        if keep_days:
            limit = timezone.now() - timedelta(days=keep_days)
            for old in folder.glob(f"{PREFIX}*{SUFFIX}"):
                if old != target and old.stat().st_mtime < limit.timestamp():
                    old.unlink()
                    self.stdout.write(f"Deleted old backup: {old.name}")
