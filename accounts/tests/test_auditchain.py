"""The audit trail is a hash chain: an edit, a deletion or a truncation is found by verify_audit,
even when made by the table's owner with the append-only trigger switched off."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts import audit
from accounts.audit_actions import AccountAction
from accounts.auditchain import ANCHOR, verify_chain
from accounts.models import AuditEntry

# Any registered kind of object (accounts.audit.register_types).
DOCUMENT = "clients.clientdocument"


def _entries(n, **extra):
    return [
        audit.record(AccountAction.FILE_DOWNLOADED, None, object_type=DOCUMENT, message=f"file {i}.pdf")
        for i in range(n)
    ]


def _as_owner(sql, params=()):
    """What the table's owner can do: switch the trigger off, change rows, switch it back on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own pending foreign-key checks
            cursor.execute("ALTER TABLE accounts_auditentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE accounts_auditentry ENABLE TRIGGER USER")


def _verify_fails(*args):
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", *args)
    return str(failure.value)


@pytest.mark.django_db
def test_entries_form_one_chain_from_the_anchor(capsys):
    assert AuditEntry.objects.order_by("id").first().prev_hash == ANCHOR
    before = verify_chain()
    first, second, third = _entries(3)
    assert first.prev_hash == before.head
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    report = verify_chain()
    assert report.ok and report.checked == before.checked + 3 and report.head == third.hash
    call_command("verify_audit")
    assert f"{report.checked} entries, head {third.hash}" in capsys.readouterr().out


@pytest.mark.django_db
def test_an_edited_entry_is_named_and_the_masters_are_alerted(master):
    from qoricash.outbox.models import OutboundEmail

    _first, second, _third = _entries(3)
    _as_owner("UPDATE accounts_auditentry SET message = %s WHERE id = %s", ["nothing.pdf", second.pk])
    message = _verify_fails()
    assert f"entry {second.pk} of " in message and "content altered" in message
    alert = OutboundEmail.objects.get(kind="alert.audit_chain")
    assert master.email in alert.to and str(second.pk) in alert.body_text


@pytest.mark.django_db
def test_a_deleted_entry_is_found_at_the_next_one():
    _first, second, third = _entries(3)
    _as_owner("DELETE FROM accounts_auditentry WHERE id = %s", [second.pk])
    report = verify_chain()
    kept_before = AuditEntry.objects.filter(id__lt=second.pk).count()
    assert (report.ok, report.broken_id, report.checked) == (False, third.pk, kept_before)
    assert f"entry {third.pk} of " in _verify_fails()


@pytest.mark.django_db
def test_deleting_the_first_entries_is_found():
    _first, second, _third = _entries(3)
    _as_owner("DELETE FROM accounts_auditentry WHERE id <= %s", [second.pk])
    assert "first entries were deleted" in _verify_fails()


@pytest.mark.django_db
def test_a_truncated_tail_is_found_against_a_known_head():
    _entries(3)
    head = verify_chain().head
    last = AuditEntry.objects.order_by("-id").first()
    _as_owner("DELETE FROM accounts_auditentry WHERE id = %s", [last.pk])
    assert verify_chain().ok  # what is left is a valid chain...
    assert "known head is not in the trail" in _verify_fails("--known-head", head)  # ...but shorter than it was
    _entries(1)
    assert not verify_chain(known_head=head).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_owner_deleting_a_row_with_the_trigger_disabled_makes_verify_audit_exit_non_zero(tmp_path):
    import subprocess
    import sys

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    _first, second, third = _entries(3)
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditentry WHERE id = %s", [second.pk])
    _as_owner("DELETE FROM accounts_auditentry WHERE id = %s", [second.pk])
    db = connection.settings_dict
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "verify_audit"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert f"entry {third.pk} of " in result.stderr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_still_form_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from django.db import connections, transaction

    barrier = threading.Barrier(4)

    def writer():
        try:
            barrier.wait()
            for i in range(15):
                with transaction.atomic():
                    audit.record(AccountAction.FILE_DOWNLOADED, None, object_type=DOCUMENT, message=f"{i}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == AuditEntry.objects.count() >= 60
    assert AuditEntry.objects.values("prev_hash").distinct().count() == AuditEntry.objects.count()


def _batch(n, tag):
    return [
        audit.entry(AccountAction.FILE_DOWNLOADED, None, object_type=DOCUMENT, message=f"{tag} {i}") for i in range(n)
    ]


@pytest.mark.django_db
def test_entries_recorded_together_chain_as_if_recorded_one_by_one():
    (before,) = _entries(1)
    together = audit.record_many(_batch(5, "batch"), batch_size=2)  # three inserts
    (after,) = _entries(1)
    stored = list(AuditEntry.objects.filter(pk__gte=before.pk).order_by("id"))
    assert [e.message for e in stored] == ["file 0.pdf", *(f"batch {i}" for i in range(5)), "file 0.pdf"]
    assert [e.pk for e in together] == [e.pk for e in stored[1:6]]
    assert [e.prev_hash for e in stored[1:]] == [e.hash for e in stored[:-1]]
    assert stored[-1].pk == after.pk
    report = verify_chain()
    assert report.ok and report.head == after.hash


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_and_single_entries_still_form_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from django.db import connections, transaction

    barrier = threading.Barrier(4)

    def writer(n):
        try:
            barrier.wait()
            for i in range(5):
                with transaction.atomic():
                    if n % 2:
                        audit.record_many(_batch(20, f"{n}.{i}"))
                    else:
                        audit.record(AccountAction.FILE_DOWNLOADED, None, object_type=DOCUMENT, message=f"{n}.{i}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == AuditEntry.objects.count() >= 2 * 5 * 20 + 2 * 5
