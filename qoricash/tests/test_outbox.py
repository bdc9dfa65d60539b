import io
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from qoricash.alerts import alert_masters
from qoricash.outbox import delivery
from qoricash.outbox.models import EmailStatus, OutboundEmail
from qoricash.outbox.queue import Attachment, enqueue
from qoricash.outbox.watch import alert_if_failing
from qoricash.tests.smtp_servers import SilentSMTP, WorkingSMTP, free_port, use_smtp

pytestmark = pytest.mark.django_db


def queue_one(**kwargs):
    values = {"to": ["ana@example.com"], "subject": "Hola", "text": "Texto", "html": "<p>Texto</p>"}
    return enqueue("test.kind", **{**values, **kwargs})


def test_a_message_is_stored_in_the_transaction_before_any_delivery(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        message = queue_one(cc="ana@example.com; jefe@example.com", bcc=["JEFE@example.com", "audit@example.com"])
        stored = OutboundEmail.objects.get()
        assert stored.pk == message.pk and stored.status == EmailStatus.PENDING and stored.attempts == 0
    assert (stored.to, stored.cc, stored.bcc) == ("ana@example.com", "jefe@example.com", "audit@example.com")
    assert mail.outbox == [] and len(callbacks) == 1


def test_a_rolled_back_change_leaves_no_message(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue_one()
        raise RuntimeError("the business change failed")
    assert not OutboundEmail.objects.exists()
    assert callbacks == [] and mail.outbox == []


def test_after_commit_every_message_of_the_transaction_is_delivered(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        first, second = queue_one(subject="Uno"), queue_one(subject="Dos")
    assert len(callbacks) == 2
    assert sorted(m.subject for m in mail.outbox) == ["Dos", "Uno"]
    for message in (first, second):
        message.refresh_from_db()
        assert message.status == EmailStatus.SENT and message.attempts == 1 and message.sent_at is not None


def test_no_recipient_no_message():
    assert queue_one(to=["", "  "]) is None
    assert not OutboundEmail.objects.exists()


def test_a_refusing_server_leaves_the_message_pending_with_backoff(settings, django_capture_on_commit_callbacks):
    use_smtp(settings, free_port())
    settings.EMAIL_HOST_PASSWORD = "s3cret-password"
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = queue_one()
    message.refresh_from_db()
    assert message.status == EmailStatus.PENDING and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error and "s3cret" not in message.last_error
    assert timedelta(seconds=50) < message.next_attempt_at - timezone.now() <= timedelta(minutes=1)


def test_backoff_grows_and_the_message_fails_after_the_maximum_attempts(settings):
    settings.EMAIL_MAX_ATTEMPTS = 3
    use_smtp(settings, free_port())
    message = queue_one(deliver=False)
    waits = []
    for _attempt in range(3):
        with time_machine.travel(message.next_attempt_at):
            report = delivery.deliver_pending()
        message.refresh_from_db()
        waits.append(message.next_attempt_at - timezone.now())
        assert report.stopped
    assert message.status == EmailStatus.FAILED and message.attempts == 3
    assert delivery.backoff(1) == timedelta(minutes=1) and delivery.backoff(2) == timedelta(minutes=5)
    assert delivery.backoff(4) == timedelta(minutes=60) and delivery.backoff(30) == timedelta(minutes=480)
    assert delivery.deliver_pending().sent == []  # failed is final until a Master resends it


def test_a_refused_recipient_fails_only_that_message(settings):
    with WorkingSMTP() as server:
        use_smtp(settings, server.port)
        refused = queue_one(to=["rechazado@example.com"], deliver=False)
        ok = queue_one(deliver=False)
        report = delivery.deliver_pending()
    refused.refresh_from_db()
    assert report.retry == [refused.pk] and report.sent == [ok.pk] and not report.stopped
    assert refused.status == EmailStatus.PENDING and "SMTPRecipientsRefused" in refused.last_error
    assert server.recorder.subjects() == ["Hola"]


def test_the_command_delivers_pending_messages_exactly_once(settings):
    messages = [queue_one(subject=f"Mensaje {i}", deliver=False) for i in range(3)]
    out = io.StringIO()
    with WorkingSMTP() as server:
        use_smtp(settings, server.port)
        call_command("send_pending_emails", stdout=out)
        call_command("send_pending_emails", stdout=out)
    assert sorted(server.recorder.subjects()) == ["Mensaje 0", "Mensaje 1", "Mensaje 2"]
    assert "sent 3, to retry 0, failed 0" in out.getvalue() and "sent 0, to retry 0, failed 0" in out.getvalue()
    assert all(m.status == EmailStatus.SENT for m in OutboundEmail.objects.filter(pk__in=[m.pk for m in messages]))
    received = server.messages[0]
    assert received["rcpt"] == ["ana@example.com"]
    assert received["message"].get_content_type() == "multipart/alternative"


def test_the_command_reports_a_dead_server_and_exits_normally(settings):
    use_smtp(settings, free_port())
    queue_one(deliver=False)
    out = io.StringIO()
    call_command("send_pending_emails", stdout=out)
    assert "sent 0, to retry 1, failed 0; stopped: ConnectionRefusedError" in out.getvalue()


def test_attachments_are_read_from_private_storage_at_send_time():
    name = default_storage.save("vouchers/v1.pdf", ContentFile(b"%PDF-1.4 first"))
    message = queue_one(attachments=[Attachment(name, "voucher.pdf", "application/pdf")], deliver=False)
    assert message.attachments == [{"name": name, "filename": "voucher.pdf", "content_type": "application/pdf"}]
    with default_storage.open(name, "wb") as handle:
        handle.write(b"%PDF-1.4 replaced")
    delivery.deliver_pending()
    assert mail.outbox[0].attachments == [("voucher.pdf", b"%PDF-1.4 replaced", "application/pdf")]


def test_a_missing_attachment_keeps_the_message_for_a_retry():
    message = queue_one(attachments=[Attachment("vouchers/gone.pdf", "voucher.pdf", "application/pdf")], deliver=False)
    report = delivery.deliver_pending()
    message.refresh_from_db()
    assert report.retry == [message.pk] and not report.stopped and mail.outbox == []
    assert message.status == EmailStatus.PENDING and "voucher.pdf" in message.last_error


def test_a_silent_server_never_holds_the_commit_longer_than_the_timeout(settings, django_capture_on_commit_callbacks):
    with SilentSMTP() as server:
        use_smtp(settings, server.port, timeout=1)
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            messages = [queue_one(subject=f"M{i}") for i in range(3)]
        elapsed = time.monotonic() - started
    assert elapsed < settings.EMAIL_TIMEOUT + 2
    states = sorted((m.status, m.attempts) for m in OutboundEmail.objects.filter(pk__in=[m.pk for m in messages]))
    # The first message was tried (charged one attempt); the others were never touched.
    assert states == [(EmailStatus.PENDING, 0), (EmailStatus.PENDING, 0), (EmailStatus.PENDING, 1)]


def test_a_stale_claim_is_taken_again():
    message = queue_one(deliver=False)
    OutboundEmail.objects.filter(pk=message.pk).update(
        status=EmailStatus.SENDING, claimed_at=timezone.now() - delivery.STALE_CLAIM - timedelta(minutes=1)
    )
    assert delivery.deliver_pending().sent == [message.pk]


# --- alerts ---------------------------------------------------------------------------------------
def test_an_alert_goes_to_every_active_holder_of_the_alert_permission(master, operador):
    other_master = UserFactory(email="otro.master@qoricash.pe")
    other_master.groups.set(master.groups.all())
    UserFactory(email="inactivo@qoricash.pe", is_active=False).groups.set(master.groups.all())
    message = alert_masters("disk_full", "Almacenamiento casi lleno", "Quedan 2 GB.\n\nLibere espacio.", related=master)
    assert sorted(message.to.split(", ")) == sorted([master.email, other_master.email])
    assert message.kind == "alert.disk_full" and message.related == master
    assert "<p>Quedan 2 GB.</p>" in message.body_html and "Libere espacio." in message.body_text


def test_the_same_alert_is_sent_once_per_window(master):
    assert alert_masters("disk_full", "Lleno", "x") is not None
    assert alert_masters("disk_full", "Lleno", "x") is None
    assert alert_masters("audit_chain", "Cadena", "x") is not None
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert alert_masters("disk_full", "Lleno", "x") is not None
    assert OutboundEmail.objects.filter(kind="alert.disk_full").count() == 2


def test_masters_get_one_alert_when_mail_has_been_failing_for_an_hour(master, settings):
    use_smtp(settings, free_port())
    failing = [queue_one(deliver=False) for _ in range(2)]
    delivery.deliver_pending()
    OutboundEmail.objects.filter(pk__in=[m.pk for m in failing]).update(attempts=2)
    assert alert_if_failing() is None  # not an hour yet
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        out = io.StringIO()
        call_command("send_pending_emails", stdout=out)
        call_command("send_pending_emails", stdout=out)
    alerts = OutboundEmail.objects.filter(kind="alert.mail_failing")
    assert alerts.count() == 1 and alerts.get().to == master.email
    assert "2 correos no se han entregado" in alerts.get().body_text
    assert out.getvalue().count("alert queued") == 1


# --- two senders at once ----------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_deliver_each_of_50_messages_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    messages = [queue_one(subject=f"Mensaje {i}", deliver=False) for i in range(50)]
    barrier, errors = threading.Barrier(2), []

    def sender():
        try:
            barrier.wait(timeout=30)
            call_command("send_pending_emails", stdout=io.StringIO())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    with WorkingSMTP() as server:
        use_smtp(settings, server.port)
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    subjects = server.recorder.subjects()
    assert len(subjects) == 50 and sorted(subjects) == sorted(f"Mensaje {i}" for i in range(50))
    assert OutboundEmail.objects.filter(pk__in=[m.pk for m in messages], status=EmailStatus.SENT).count() == 50
