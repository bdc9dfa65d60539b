"""The outbox in the admin: read-only list and page for Masters, "Reenviar" audited, the index panel,
and the invitation and password messages queued with their bodies hidden."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.audit_actions import AccountAction
from accounts.models import AuditEntry
from clients.tests.factories import ClientFactory
from qoricash.outbox.models import EmailStatus, OutboundEmail
from qoricash.outbox.panels import outbox_panel
from qoricash.outbox.queue import enqueue
from qoricash.paginator import EstimatedCountPaginator

pytestmark = pytest.mark.django_db

LIST = "/admin/qoricash/outboundemail/"


def message(status=EmailStatus.SENT, **kwargs):
    values = {
        "to": ["lucia@example.pe"],
        "subject": "Nueva operación",
        "text": "Hola",
        "html": "<p>Hola <b>Lucía</b></p>",
    }
    email = enqueue("operation.new", deliver=False, **{**values, **kwargs})
    OutboundEmail.objects.filter(pk=email.pk).update(status=status, attempts=8, last_error="ConnectionRefusedError")
    email.refresh_from_db()
    return email


def test_the_master_lists_filters_and_searches_messages(master_client):
    client = ClientFactory()
    sent = message(related=client, to=["lucia@example.pe"])
    failed = message(EmailStatus.FAILED, to=["pedro@example.pe"], subject="Operación completada")
    page = master_client.get(LIST)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Nueva operación" in body and "Operación completada" in body and "Operación: nueva" in body
    failed_only = master_client.get(LIST, {"status__exact": "failed"}).content.decode()
    assert "pedro@example.pe" in failed_only and "lucia@example.pe" not in failed_only
    by_kind = master_client.get(LIST, {"kind": "operation.new"}).content.decode()
    assert "pedro@example.pe" in by_kind
    by_recipient = master_client.get(LIST, {"q": "pedro@"}).context["cl"].result_list
    assert list(by_recipient) == [failed]
    by_related = master_client.get(LIST, {"q": client.document_number}).context["cl"].result_list
    assert list(by_related) == [sent]


def _list(client, params=None):
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(LIST, params or {})
    assert page.status_code == 200
    return page, [q["sql"] for q in ctx.captured_queries]


def _distinct_over_the_outbox(queries):
    return [sql for sql in queries if "DISTINCT" in sql.upper() and "qoricash_outboundemail" in sql]


def test_the_kind_filter_offers_the_registered_kinds_without_reading_the_outbox(master_client):
    message()
    stored = enqueue("made.up", to=["ana@example.pe"], subject="Otro", text="Hola", deliver=False)
    page, queries = _list(master_client)
    assert _distinct_over_the_outbox(queries) == []
    offered = dict(next(s for s in page.context["cl"].filter_specs if "kind" in s.expected_parameters()).lookup_choices)
    assert offered["operation.new"] == "Operación: nueva" and offered[services.INVITATION] == "Usuario: invitación"
    assert offered["alert.mail_failing"] == "Alerta: correos sin entregar"
    assert offered["alert.storage_full"] == "Alerta: almacenamiento casi lleno"
    assert offered["alert.audit_chain"] == "Alerta: registros de auditoría alterados"
    assert "made.up" not in offered  # stored but registered by nobody: not read from the table
    assert list(master_client.get(LIST, {"kind": "made.up"}).context["cl"].result_list) == [stored]


def test_the_list_runs_the_same_queries_on_few_and_on_many_messages(master_client):
    message()
    few = len(_list(master_client, {"kind": "operation.new"})[1])
    for n in range(60):
        message(EmailStatus.FAILED if n % 2 else EmailStatus.SENT, subject=f"Mensaje {n}")
    page, queries = _list(master_client, {"kind": "operation.new"})
    assert len(queries) == few
    assert isinstance(page.context["cl"].paginator, EstimatedCountPaginator)
    assert "Mostrar recuentos" not in page.content.decode()  # Django's facets would count every choice
    assert len(_list(master_client, {"kind": "operation.new", "_facets": "True"})[1]) == few


def test_the_page_shows_the_rendered_message_and_nothing_edits_or_deletes(master_client):
    email = message()
    page = master_client.get(f"{LIST}{email.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'sandbox=""' in body and "&lt;b&gt;Lucía&lt;/b&gt;" in body  # the HTML, isolated and inert
    assert 'name="_save"' not in body and "/delete/" not in body
    assert master_client.post(f"{LIST}{email.pk}/change/", {"subject": "x"}).status_code == 403
    assert master_client.post(f"{LIST}{email.pk}/delete/", {"post": "yes"}).status_code == 403
    email.refresh_from_db()
    assert email.subject == "Nueva operación"


def test_reenviar_puts_failed_and_sent_messages_back_to_pending_and_audits(master_client, master):
    failed, sent, pending = message(EmailStatus.FAILED), message(EmailStatus.SENT), message(EmailStatus.PENDING)
    response = master_client.post(
        LIST, {"action": "resend", "_selected_action": [failed.pk, sent.pk, pending.pk]}, follow=True
    )
    assert "Correos puestos de nuevo en cola: 2." in response.content.decode()
    for email in (failed, sent):
        email.refresh_from_db()
        assert email.status == EmailStatus.PENDING and email.attempts == 0
    pending.refresh_from_db()
    assert pending.attempts == 8  # left as it was
    entries = AuditEntry.objects.filter(action=AccountAction.EMAIL_RESENT)
    assert sorted(entries.values_list("object_id", flat=True)) == sorted([str(failed.pk), str(sent.pk)])
    assert entries.first().actor == master


def test_other_roles_neither_see_nor_resend(trader_client, operador, trader):
    email = message(EmailStatus.FAILED)
    assert trader_client.get(LIST).status_code == 403
    with pytest.raises(services.PermissionDenied):
        services.resend_emails([email], by=trader)
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED


def test_the_index_panel_appears_only_when_mail_is_failing(master_client, trader, rf):
    assert "outbox-panel" not in master_client.get("/admin/").content.decode()
    message(EmailStatus.FAILED, subject="Operación completada #EXP-1")
    body = master_client.get("/admin/").content.decode()
    assert "outbox-panel" in body and "Correos no entregados" in body and "Operación completada #EXP-1" in body
    assert "1 falló tras todos los intentos" in body
    request = rf.get("/admin/")
    request.user = trader
    assert outbox_panel(request) is None


def test_the_index_panel_counts_every_failing_message_in_one_query(master, rf, django_assert_num_queries):
    for n in range(7):
        message(EmailStatus.FAILED, subject=f"Fallido {n}")
    for n in range(2):
        message(EmailStatus.PENDING, subject=f"Reintento {n}")
    message(EmailStatus.SENT)
    OutboundEmail.objects.filter(subject="Reintento 0").update(attempts=0)  # never tried yet: not retrying
    request = rf.get("/admin/")
    request.user = master
    master.has_perm("qoricash.view_outboundemail")  # the user's permissions are read once per request
    with django_assert_num_queries(1):
        ctx = outbox_panel(request)
    assert (ctx["failed"], ctx["retrying"]) == (7, 1)
    assert len(ctx["rows"]) == 5
    OutboundEmail.objects.exclude(status=EmailStatus.SENT).update(status=EmailStatus.SENT)
    with django_assert_num_queries(1):
        assert outbox_panel(request) is None


def test_invitations_are_queued_with_their_link_hidden_in_the_admin(master_client, trader):
    assert services.send_invitation(trader, "https://app.qoricash.pe")
    email = OutboundEmail.objects.get(kind=services.INVITATION)
    assert email.confidential and "/accounts/reset/" in email.body_text and email.related == trader
    assert AuditEntry.objects.filter(action=AccountAction.INVITATION_SENT, object_id=str(trader.pk)).exists()
    body = master_client.get(f"{LIST}{email.pk}/change/").content.decode()
    assert "/accounts/reset/" not in body and "No se muestra: el mensaje lleva un enlace personal" in body


def test_password_reset_goes_through_the_outbox(client, trader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password_reset/", {"email": trader.email})
    email = OutboundEmail.objects.get(kind=services.PASSWORD_RESET)
    assert email.confidential and email.to == trader.email and email.status == EmailStatus.SENT
    assert mail.outbox[0].to == [trader.email] and "/accounts/reset/" in mail.outbox[0].body
