import os
import subprocess
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection


def test_refuses_without_postgres(db):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite-only refusal")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("backup_database")


def test_refuses_old_client(db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.1'\n")
    fake.chmod(0o755)
    with pytest.raises(CommandError, match="too old"):
        call_command("backup_database", dir=str(tmp_path / "b"), pg_dump=str(fake))


@pytest.mark.django_db(transaction=True)
def test_dump_restorable_and_pruned(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    folder = tmp_path / "backups"
    folder.mkdir()
    old = folder / "qoricash_20000101_000000.dump"
    old.write_bytes(b"old")
    past = time.time() - 40 * 86400
    os.utime(old, (past, past))
    call_command("backup_database", dir=str(folder), keep_days=30)
    dumps = list(folder.glob("qoricash_*.dump"))
    assert len(dumps) == 1 and dumps[0] != old
    listing = subprocess.run(["pg_restore", "--list", str(dumps[0])], capture_output=True, text=True, check=True)
    assert "accounts_user" in listing.stdout
