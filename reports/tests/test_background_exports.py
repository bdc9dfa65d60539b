"""Exports above EXPORT_SYNC_MAX_ROWS: built by the task worker, listed under "Mis descargas" for their
owner only, downloadable until they expire (django-tasks' immediate backend runs them in the test)."""

import dataclasses
import datetime as dt
import io

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from clients.audit_actions import ClientAction
from clients.tests.factories import active_client
from operations.models import OperationStatus
from qoricash import background_exports
from qoricash.models import ExportFile
from qoricash.outbox.models import OutboundEmail
from reports.audit_actions import ReportAction
from reports.tests.conftest import lima

pytestmark = pytest.mark.django_db

HISTORY_XLSX = reverse("admin:reports_history_xlsx")
CLIENTS_EXPORT = reverse("admin:clients_client_export")
MY_DOWNLOADS = reverse("admin:my_downloads")


def sheet_rows(content, sheet):
    book = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [list(r) for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def streamed(response):
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


@pytest.fixture
def three_ops(make_op, trader):
    return [
        make_op("buy", "100.00", at=lima(2026, 11, 18, 9), owner=trader, status=OperationStatus.COMPLETED),
        make_op("sell", "250.00", "3.7500", at=lima(2026, 11, 19, 9), owner=trader),
        make_op("buy", "75.50", at=lima(2026, 11, 20, 9), owner=trader, status=OperationStatus.CANCELLED),
    ]


def ask_in_background(client, url, query, settings, django_capture_on_commit_callbacks, post=None):
    settings.EXPORT_SYNC_MAX_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        if post is None:
            return client.get(url, query)
        return client.post(f"{url}?{query}" if query else url, post)


def test_a_history_export_above_the_limit_becomes_a_task_and_a_file_for_its_owner(
    master_client, master, three_ops, settings, django_capture_on_commit_callbacks
):
    query = {"status__exact": "completed"}
    settings.EXPORT_SYNC_MAX_ROWS = 100
    direct = sheet_rows(streamed(master_client.get(HISTORY_XLSX)), "Historial de Operaciones")

    response = ask_in_background(master_client, HISTORY_XLSX, {}, settings, django_capture_on_commit_callbacks)
    # Not built in the request: back to the list with a message that says where the file will be.
    assert response.status_code == 302 and response["Location"] == reverse("admin:operations_operation_changelist")
    message = str(next(iter(get_messages(response.wsgi_request))))
    assert "más de 2 filas" in message and "Mis descargas" in message and "correo" in message
    export = ExportFile.objects.get()
    assert (export.owner, export.kind, export.status, export.rows) == (master, "history", "ready", 3)
    assert export.task_id  # enqueued through django-tasks
    assert export.title == "Historial de operaciones"
    assert export.original_name.startswith("QoriCash_Historial_de_operaciones_")
    assert export.expires_at - export.finished_at == dt.timedelta(days=settings.EXPORT_FILE_DAYS)
    assert AuditEntry.objects.filter(action=ReportAction.HISTORY_EXPORTED, actor=master).count() == 2

    # The file is the one the request would have given (the generation time aside).
    page = master_client.get(MY_DOWNLOADS)
    assert page.status_code == 200 and export.original_name in page.content.decode()
    url = reverse("admin:private_file", kwargs={"kind": "exportfile", "pk": export.pk})
    assert url in page.content.decode()
    background = sheet_rows(streamed(master_client.get(url)), "Historial de Operaciones")
    assert background == direct
    assert AuditEntry.objects.filter(actor=master, object_type="qoricash.exportfile").count() == 1

    # The owner is told by e-mail (through the outbox), in Spanish, with no file attached.
    (message,) = OutboundEmail.objects.filter(kind="export_ready")
    assert message.to == master.email and message.related_id == str(export.pk)
    assert message.subject == "Su archivo «Historial de operaciones» está listo"
    assert "3 filas" in message.body_text and "«Mis descargas»" in message.body_text
    assert not message.attachments

    # A filtered selection within the limit (one completed operation) comes in the response at once.
    response = ask_in_background(master_client, HISTORY_XLSX, query, settings, django_capture_on_commit_callbacks)
    assert len(sheet_rows(streamed(response), "Historial de Operaciones")) == 1 + 1 + 1 + 4
    assert ExportFile.objects.count() == 1


def test_under_the_limit_the_file_comes_in_the_response(master_client, three_ops, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 3
    response = master_client.get(HISTORY_XLSX)
    assert len(sheet_rows(streamed(response), "Historial de Operaciones")) == 1 + 3 + 1 + 4
    assert not ExportFile.objects.exists()


def test_the_file_is_listed_and_served_to_its_owner_only(
    client, master_client, master, three_ops, settings, django_capture_on_commit_callbacks
):
    ask_in_background(master_client, HISTORY_XLSX, {}, settings, django_capture_on_commit_callbacks)
    export = ExportFile.objects.get()
    url = reverse("admin:private_file", kwargs={"kind": "exportfile", "pk": export.pk})
    other_master = UserFactory(username="m_other", role="Master")
    client.force_login(other_master)
    page = client.get(MY_DOWNLOADS)
    assert page.status_code == 200 and export.original_name not in page.content.decode()
    assert "No tiene descargas" in page.content.decode()
    assert client.get(url).status_code == 404  # another Master's file does not exist for them


def test_an_expired_file_is_refused_and_then_deleted(
    master_client, master, three_ops, settings, django_capture_on_commit_callbacks
):
    ask_in_background(master_client, HISTORY_XLSX, {}, settings, django_capture_on_commit_callbacks)
    export = ExportFile.objects.get()
    url = reverse("admin:private_file", kwargs={"kind": "exportfile", "pk": export.pk})
    stored = export.file.name
    ExportFile.objects.filter(pk=export.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert master_client.get(url).status_code == 404
    page = master_client.get(MY_DOWNLOADS).content.decode()
    assert "Vencido" in page and url not in page

    out = io.StringIO()
    call_command("purge_expired_exports", stdout=out)
    assert "1" in out.getvalue()
    export.refresh_from_db()
    assert export.status == ExportFile.Status.EXPIRED and not export.file
    assert not export.file.storage.exists(stored)


def test_a_clients_export_above_the_limit_becomes_a_task(
    master_client, master, trader, settings, django_capture_on_commit_callbacks
):
    for _ in range(3):
        active_client(owner=trader)
    settings.EXPORT_SYNC_MAX_ROWS = 100
    direct = sheet_rows(streamed(master_client.post(CLIENTS_EXPORT, {"format": "0", "resource": "0"})), "Clientes")
    response = ask_in_background(
        master_client,
        CLIENTS_EXPORT,
        "status__exact=active",
        settings,
        django_capture_on_commit_callbacks,
        post={"format": "0", "resource": "0"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:clients_client_changelist") + "?status__exact=active"
    export = ExportFile.objects.get()
    assert (export.kind, export.status, export.rows, export.query) == ("clients", "ready", 3, "status__exact=active")
    assert export.original_name.startswith("QoriCash_Clientes_")
    url = reverse("admin:private_file", kwargs={"kind": "exportfile", "pk": export.pk})
    assert sheet_rows(streamed(master_client.get(url)), "Clientes") == direct
    entry = AuditEntry.objects.filter(action=ClientAction.EXPORTED).latest("id")
    assert entry.actor == master and "status__exact=active" in entry.message


def test_a_failed_build_is_shown_as_failed_with_no_file(
    master_client, master, three_ops, settings, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(request, target):
        raise RuntimeError("database went away")

    spec = background_exports.kinds()["history"]
    monkeypatch.setitem(background_exports._kinds, "history", dataclasses.replace(spec, build=broken))
    ask_in_background(master_client, HISTORY_XLSX, {}, settings, django_capture_on_commit_callbacks)
    export = ExportFile.objects.get()
    assert export.status == ExportFile.Status.FAILED and not export.file
    page = master_client.get(MY_DOWNLOADS).content.decode()
    assert "No se pudo preparar el archivo" in page
    assert not OutboundEmail.objects.filter(kind="export_ready").exists()


def test_the_page_needs_its_permission(client):
    user = UserFactory(username="nobody", is_staff=True)
    client.force_login(user)
    assert client.get(MY_DOWNLOADS).status_code == 403
