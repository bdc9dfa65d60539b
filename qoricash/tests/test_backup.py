"""Backups: dump + manifest, copies in storage, retention, restore and verification, round trips."""

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import User
from clients.models import Client, ClientReassignment
from operations.models import Operation
from qoricash.models import BackupRecord, HeldUpload, MediaCopy, StorageUsage
from qoricash.recovery import archive, databases

pytestmark = pytest.mark.django_db(transaction=True)


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


def stats():
    return databases.table_stats(databases.default_target())


def run(command, *args, **options):
    out = io.StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


def backup(folder, **options):
    out = run("backup_database", dir=str(folder), **options)
    return sorted(Path(folder).glob("qoricash_*.dump")) or sorted(Path(folder).glob("qoricash_*.sqlite3")), out


def fill_empty_tables():
    """Rows in the tables the demo data leaves empty, so the round trip covers every table."""
    user = User.objects.order_by("pk").first()
    client = Client.objects.order_by("pk").first()
    user.user_permissions.add(Permission.objects.first())
    ClientReassignment.objects.create(client=client, from_owner=client.owner, to_owner=client.owner, by=user)
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(Client),
        object_id=str(client.pk),
        object_repr="x",
        action_flag=2,
    )
    SessionStore().create()
    BackupRecord.objects.create(
        name="qoricash_20000101_000000.dump", created_at=timezone.now(), size=1, sha256="0" * 64
    )
    HeldUpload.objects.create(file=ContentFile(b"%PDF-1.4 held", name="held.pdf"), original_name="held.pdf", user=user)
    MediaCopy.objects.create(
        target="s3", key="k", model="clients.clientdocument", object_id="1", size=1, sha256="0" * 64
    )
    StorageUsage.objects.create(backend="local", recorded_bytes=1, alert_bytes=2)


# Tables that existed when the round trip was written: each must hold rows when it runs.
ROUND_TRIP_TABLES = {
    "accounts_auditentry", "accounts_rolegrant", "accounts_user", "accounts_user_groups",
    "accounts_user_user_permissions", "auth_group", "auth_group_permissions", "auth_permission",
    "clients_bankaccount", "clients_client", "clients_clientdocument", "clients_clientreassignment",
    "django_admin_log", "django_content_type", "django_migrations", "django_session",
    "operations_codecounter", "operations_deposit", "operations_exchangerate", "operations_housebankaccount",
    "operations_operation", "operations_operationevent", "operations_payout", "qoricash_backuprecord",
    "qoricash_heldupload", "qoricash_mediacopy", "qoricash_storageusage", "reports_tradergoal",
}  # fmt: skip


def delete_some_rows():
    """What a bad night looks like: several tables emptied at once."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE operations_operation, clients_client, reports_tradergoal, django_session, "
            "accounts_rolegrant CASCADE"
        )


def test_round_trip_with_data_in_every_table(tmp_path, settings):
    postgres_only()
    settings.DEBUG = True  # seed_demo's own guard
    call_command("seed_demo", stdout=io.StringIO())
    fill_empty_tables()
    before = stats()
    empty = sorted(t for t in ROUND_TRIP_TABLES if before.get(t, {"rows": 0})["rows"] == 0)
    assert not empty, f"tables without rows: {empty}"

    (dump,), out = backup(tmp_path / "b", upload=True)
    assert "Respaldo correcto" in out
    manifest = json.loads(dump.with_suffix(".json").read_text())
    assert manifest["sha256"] and manifest["size"] == dump.stat().st_size and manifest["vendor"] == "postgresql"
    assert {t: v["rows"] for t, v in manifest["tables"].items()} == {t: v["rows"] for t, v in before.items()}

    delete_some_rows()
    assert Operation.objects.count() == 0 and Client.objects.count() == 0
    # By name, from storage: the local folder is gone like a Render disk after a deploy.
    for f in (tmp_path / "b").iterdir():
        f.unlink()
    out = run("restore_database", dump.stem, dir=str(tmp_path / "b"), yes=True)

    after = stats()
    changed = [t for t in before if t != "qoricash_backuprecord" and before[t] != after.get(t)]
    assert not changed
    assert "accounts_auditentry" in out and "; 0 con diferencias" in out
    # The restored table has the backup's own row again (it was taken before the dump was made).
    assert BackupRecord.objects.filter(name=dump.name).exists()

    out = run("verify_backup", dump.stem, dir=str(tmp_path / "b"))
    record = BackupRecord.objects.get(name=dump.name)
    assert record.verified_ok is True and record.verified_at is not None
    assert record.uploaded_at is not None
    assert str(before["operations_operation"]["rows"]) in out


def test_round_trip_through_s3(tmp_path, s3_default):
    postgres_only()
    from clients.tests.factories import ClientFactory

    ClientFactory.create_batch(3)
    before = stats()
    (dump,), _out = backup(tmp_path / "b", upload=True)
    client, bucket = s3_default
    keys = {obj["Key"] for obj in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {f"backups/{dump.name}", f"backups/{dump.stem}.json"} <= keys
    delete_some_rows()
    (tmp_path / "b" / dump.name).unlink()
    run("restore_database", dump.name, dir=str(tmp_path / "b"), yes=True)
    after = stats()
    assert all(before[t] == after[t] for t in before if t != "qoricash_backuprecord")
    run("verify_backup", dump.name, dir=str(tmp_path / "b"))
    assert BackupRecord.objects.get(name=dump.name).verified_ok is True


def fake_backups(folder, days):
    """A dump and manifest per day, `days` days back, locally and in storage."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = archive.SUFFIXES[databases.vendor(databases.default_target())]
    for day in range(1, days + 1):
        name = archive.new_name(databases.vendor(databases.default_target()), timezone.now() - timedelta(days=day))
        assert name.endswith(suffix)
        for file in (name, f"{Path(name).stem}.json"):
            (folder / file).write_bytes(b"old")
            storages["default"].save(archive.key(file), ContentFile(b"old"))


def test_retention_keeps_thirty_days_locally_and_in_storage(tmp_path):
    folder = tmp_path / "b"
    fake_backups(folder, 39)
    dumps, out = backup(folder, upload=True, keep_days=30)
    assert len(dumps) == 30
    assert len(list(folder.glob("qoricash_*.json"))) == 30
    _dirs, stored = storages["default"].listdir("backups")
    assert len([n for n in stored if not n.endswith(".json")]) == 30 and len(stored) == 60
    assert len(archive.listing(folder)) == 30
    oldest = min(archive.moment_of(n) for n in stored)
    assert timezone.now() - oldest < timedelta(days=30)


def test_list_shows_date_size_place_and_verification(tmp_path):
    (dump,), _out = backup(tmp_path / "b", upload=True)
    out = run("backup_database", dir=str(tmp_path / "b"), list=True)
    assert dump.name in out
    line = next(line for line in out.splitlines() if dump.name in line)
    assert "no" in line.split()[-1]
    run("verify_backup", dump.name, dir=str(tmp_path / "b"))
    line = next(
        line for line in run("backup_database", dir=str(tmp_path / "b"), list=True).splitlines() if dump.name in line
    )
    assert "sí" in line or "yes" in line


def damaged(dump, how):
    data = dump.read_bytes()
    if how == "truncated":
        dump.write_bytes(data[: len(data) // 2])
    else:
        middle = len(data) // 2
        dump.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])


@pytest.mark.parametrize("how", ["truncated", "one byte changed"])
def test_damaged_dump_is_refused_before_anything_is_touched(tmp_path, how):
    from clients.tests.factories import ClientFactory

    ClientFactory.create_batch(2)
    (dump,), _out = backup(tmp_path / "b")
    damaged(dump, how)
    ClientFactory()
    with pytest.raises(CommandError, match="SHA-256|truncated|truncado|dañado"):
        run("restore_database", str(dump), yes=True)
    assert Client.objects.count() == 3
    with pytest.raises(CommandError, match="SHA-256|truncated|truncado|dañado"):
        run("verify_backup", str(dump))
    record = BackupRecord.objects.get(name=dump.name)
    assert record.verified_ok is False


def test_restore_without_yes_changes_nothing(tmp_path):
    from clients.tests.factories import ClientFactory

    ClientFactory.create_batch(2)
    (dump,), _out = backup(tmp_path / "b")
    ClientFactory()
    with pytest.raises(CommandError, match="--yes"):
        run("restore_database", dump.name, dir=str(tmp_path / "b"))
    assert Client.objects.count() == 3


def test_unknown_backup_is_a_clear_refusal(tmp_path):
    with pytest.raises(CommandError, match="backup_database --list"):
        run("restore_database", "qoricash_19990101_000000", dir=str(tmp_path), yes=True)


def test_missing_manifest_is_refused(tmp_path):
    (dump,), _out = backup(tmp_path / "b")
    dump.with_suffix(".json").unlink()
    with pytest.raises(CommandError, match="manifest|manifiesto"):
        run("verify_backup", str(dump))


def test_pg_dump_gets_the_password_from_the_environment_only(tmp_path, monkeypatch):
    postgres_only()
    seen = {}
    real_run = databases.subprocess.run

    def spy(cmd, *args, **kwargs):
        if "-Fc" in cmd:
            seen["cmd"], seen["env"] = cmd, kwargs.get("env")
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(databases.subprocess, "run", spy)
    target = {**databases.default_target(), "PASSWORD": "s3cret-pw"}
    monkeypatch.setattr(databases, "default_target", lambda: target)
    monkeypatch.setattr("qoricash.recovery.services.databases.default_target", lambda: target)
    backup(tmp_path / "b")
    assert seen["env"]["PGPASSWORD"] == "s3cret-pw"
    assert not any("s3cret-pw" in part for part in seen["cmd"])


def test_refuses_old_client(tmp_path):
    postgres_only()
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.1'\n")
    fake.chmod(0o755)
    with pytest.raises(CommandError, match="too old|antiguo"):
        call_command("backup_database", dir=str(tmp_path / "b"), pg_dump=str(fake), stdout=io.StringIO())


def test_sqlite_is_backed_up_with_its_backup_api(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    from clients.tests.factories import ClientFactory

    ClientFactory.create_batch(2)
    (dump,), _out = backup(tmp_path / "b")
    assert dump.suffix == ".sqlite3"
    manifest = json.loads(dump.with_suffix(".json").read_text())
    assert manifest["tables"]["clients_client"]["rows"] == 2
    out = run("verify_backup", str(dump))
    assert "clients_client" in out


def test_manifest_keeps_the_verified_head_of_the_audit_chain(tmp_path):
    from accounts import audit
    from accounts.audit_actions import AccountAction
    from accounts.models import AuditEntry

    audit.record(AccountAction.LOGOUT, message="before the backup")
    (dump,), _out = backup(tmp_path)
    extras = json.loads(dump.with_suffix(".json").read_text())["extras"]
    newest = AuditEntry.objects.latest("id")
    assert extras["audit_chain"] == {"head": newest.hash, "entries": AuditEntry.objects.count(), "intact": True}
