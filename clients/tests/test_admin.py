"""The clients admin as each role uses it: scoping, registration, edit rules, review, portfolios."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as DjangoBrowser
from django.urls import reverse
from django.utils import timezone

from clients.models import (
    Bank,
    BankAccount,
    Client,
    ClientReassignment,
    ClientStatus,
    Currency,
    DocumentKind,
)
from clients.tests.factories import (
    BankAccountFactory,
    ClientDocumentFactory,
    ClientFactory,
    active_client,
    valid_ruc,
)
from clients.tests.helpers import admin_form_data, messages_of, pdf, prefix_of
from qoricash.files import STORAGE_ERROR_MESSAGE

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:clients_client_changelist")
ADD = reverse("admin:clients_client_add")


def logged_in(user):
    browser = DjangoBrowser()
    browser.force_login(user)
    return browser


def change_url(client):
    return reverse("admin:clients_client_change", args=[client.pk])


def add_account(data, prefix, index, **values):
    defaults = {
        "bank": Bank.BCP,
        "account_type": "savings",
        "currency": "PEN",
        "number": "",
        "cci": "",
        "location": "lima",
        "is_active": "on",
    }
    for key, value in {**defaults, **values}.items():
        data[f"{prefix}-{index}-{key}"] = value


# --- Scoping ------------------------------------------------------------------------------------
def test_trader_lists_only_its_own_clients(trader_client, trader, other_trader):
    mine = ClientFactory(owner=trader, document_number="41111111")
    ClientFactory(owner=other_trader, document_number="42222222")
    response = trader_client.get(CHANGELIST)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    content = response.content.decode()
    assert "41111111" in content and "42222222" not in content
    assert "executive" not in response.context["cl"].list_display  # the "ejecutivo" column is always itself
    assert not response.context["cl"].has_filters or all(
        spec.title != "ejecutivo" for spec in response.context["cl"].filter_specs
    )


def test_another_traders_client_is_a_404_everywhere(trader_client, other_trader):
    theirs = active_client(owner=other_trader)
    assert trader_client.get(change_url(theirs)).status_code == 404
    assert trader_client.get(reverse("admin:clients_client_history", args=[theirs.pk])).status_code == 404
    assert trader_client.post(reverse("admin:clients_client_deactivate", args=[theirs.pk])).status_code == 404
    assert trader_client.get(change_url(theirs) + "?x=1").status_code == 404
    assert trader_client.get(reverse("admin:clients_client_change", args=["no-such-id"])).status_code == 404


def test_master_sees_every_portfolio_with_executive_column_and_filter(master_client, trader, other_trader):
    a = ClientFactory(owner=trader)
    b = ClientFactory(owner=other_trader)
    response = master_client.get(CHANGELIST)
    assert set(response.context["cl"].result_list) == {a, b}
    assert "executive" in response.context["cl"].list_display
    response = master_client.get(CHANGELIST, {"owner": trader.pk})
    assert list(response.context["cl"].result_list) == [a]


def test_search_by_document_prefix_names_and_email(master_client, trader):
    a = ClientFactory(owner=trader, document_number="41230000", apellido_paterno="HUAMAN", email="rosa@x.pe")
    b = ClientFactory(owner=trader, document_number="99412300", apellido_paterno="QUISPE", email="juan@y.pe")
    assert list(master_client.get(CHANGELIST, {"q": "4123"}).context["cl"].result_list) == [a]
    assert list(master_client.get(CHANGELIST, {"q": "quispe"}).context["cl"].result_list) == [b]
    assert list(master_client.get(CHANGELIST, {"q": "juan@"}).context["cl"].result_list) == [b]


def test_changelist_query_count_does_not_grow_with_rows(master_client, trader, django_assert_max_num_queries):
    from operations.tests.factories import OperationFactory

    for _ in range(3):
        OperationFactory(client=active_client(owner=trader))
    with django_assert_max_num_queries(12) as few:
        master_client.get(CHANGELIST)
    for _ in range(20):
        OperationFactory(client=active_client(owner=trader))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = master_client.get(CHANGELIST)
    assert all(c.operation_count == 1 for c in response.context["cl"].result_list)


def test_autocomplete_is_scoped(trader_client, trader, other_trader):
    mine = active_client(owner=trader, apellido_paterno="QUISPE")
    active_client(owner=other_trader, apellido_paterno="QUISPE")
    response = trader_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "operations", "model_name": "operation", "field_name": "client", "term": "quispe"},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(mine.pk)]


# --- Registration through the admin -------------------------------------------------------------
def test_trader_registers_a_company_with_two_accounts_and_a_document(trader_client, trader):
    page = trader_client.get(ADD)
    data = admin_form_data(page)
    ruc = valid_ruc(4321)
    data.update(
        {
            "document_type": "RUC",
            "document_number": ruc,
            "razon_social": "Inversiones Andinas S.A.C.",
            "contact_person": "Marco Tello",
            "email": "finanzas@andinas.pe",
            "phones": "014445555; 987654321",
        }
    )
    accounts, _initial, _total = prefix_of(page, "bankaccount")
    add_account(data, accounts, 0, number="191-12345678-0-12", currency="PEN")
    add_account(
        data,
        accounts,
        1,
        bank=Bank.BBVA,
        currency="USD",
        number="001101230100012345",
        cci="01112300010001234556",
        account_type="checking",
    )
    docs, _initial, _total = prefix_of(page, "clientdocument", upload=True)
    data[f"{docs}-0-kind"] = DocumentKind.REP_FRONT
    data[f"{docs}-0-file"] = pdf()
    response = trader_client.post(ADD, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    client = Client.objects.get(document_number=ruc)
    assert (client.status, client.owner, client.created_by) == (ClientStatus.INACTIVE, trader, trader)
    assert client.razon_social == "INVERSIONES ANDINAS S.A.C."
    assert sorted(client.accounts.values_list("number", flat=True)) == ["001101230100012345", "19112345678012"]
    doc = client.documents.get()
    assert (doc.kind, doc.uploaded_by, doc.original_name, doc.content_type) == (
        DocumentKind.REP_FRONT,
        trader,
        "dni.pdf",
        "application/pdf",
    )


def test_registration_form_refuses_broken_account_rules_in_spanish(trader_client):
    page = trader_client.get(ADD)
    data = admin_form_data(page)
    data.update(
        {
            "document_number": "41234567",
            "apellido_paterno": "Quispe",
            "apellido_materno": "Mamani",
            "nombres": "Rosa",
            "email": "rosa@correo.pe",
        }
    )
    accounts, _i, _t = prefix_of(page, "bankaccount")
    add_account(data, accounts, 0, number="19112345678012")
    add_account(data, accounts, 1, number="19112345678012", bank=Bank.SCOTIABANK)  # PEN again, no CCI
    response = trader_client.post(ADD, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "El CCI (20 dígitos) es obligatorio para Scotiabank." in content
    data[f"{accounts}-1-cci"] = "00917020000123456712"
    response = trader_client.post(ADD, data)
    assert "Un cliente necesita al menos una cuenta activa en dólares (USD)." in response.content.decode()
    assert Client.objects.count() == 0 and BankAccount.objects.count() == 0


def test_registration_form_names_required_per_type_and_bad_document(trader_client):
    page = trader_client.get(ADD)
    data = admin_form_data(page)
    data.update({"document_type": "DNI", "document_number": "4123", "email": "x@y.pe"})
    response = trader_client.post(ADD, data)
    content = response.content.decode()
    assert "El DNI debe tener exactamente 8 dígitos." in content
    assert "Este campo es obligatorio para una persona natural." in content
    assert Client.objects.count() == 0


@pytest.mark.parametrize(
    "upload, expected",
    [
        (
            lambda: SimpleUploadedFile("dni.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/pdf"),
            "Solo se aceptan archivos PDF, JPEG o PNG",
        ),
        (
            lambda: SimpleUploadedFile("grande.pdf", b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024), "application/pdf"),
            "el máximo es 10 MB",
        ),
    ],
    ids=["executable-renamed-pdf", "eleven-megabytes"],
)
def test_refused_uploads_show_the_error_and_store_nothing(trader_client, trader, settings, upload, expected):
    client = active_client(owner=trader)
    before = set(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
    page = trader_client.get(change_url(client))
    data = admin_form_data(page)
    docs, _i, _t = prefix_of(page, "clientdocument", upload=True)
    data[f"{docs}-0-kind"] = DocumentKind.ID_BACK
    data[f"{docs}-0-file"] = upload()
    response = trader_client.post(change_url(client), data)
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert client.documents.count() == 1  # only the factory's
    after = set(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
    assert after == before


def test_documents_link_only_to_the_permission_checked_download(trader_client, trader, other_trader):
    client = active_client(owner=trader)
    doc = client.documents.get()
    content = trader_client.get(change_url(client)).content.decode()
    download = reverse("admin:private_file", kwargs={"kind": "clientdocument", "pk": doc.pk})
    assert f'href="{download}"' in content and doc.original_name in content
    assert doc.file.name not in content and "/private-media-not-served/" not in content
    response = trader_client.get(download)
    # Reading the stream to its end closes the file (the test client closes the response then).
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    theirs = active_client(owner=other_trader).documents.get()
    other = reverse("admin:private_file", kwargs={"kind": "clientdocument", "pk": theirs.pk})
    assert trader_client.get(other).status_code == 404


def test_storage_failure_is_a_message_and_nothing_is_saved(trader_client, trader, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    def broken(self, name, content, max_length=None):
        raise OSError("disk full")

    client = active_client(owner=trader, phones="987654321")
    monkeypatch.setattr(FileSystemStorage, "save", broken)
    page = trader_client.get(change_url(client))
    data = admin_form_data(page)
    data["phones"] = "912345678"
    docs, _i, _t = prefix_of(page, "clientdocument", upload=True)
    data[f"{docs}-0-kind"] = DocumentKind.ID_BACK
    data[f"{docs}-0-file"] = pdf()
    response = trader_client.post(change_url(client), data)
    assert response.status_code == 200  # the same page again, with what was typed
    form = response.context["adminform"].form
    assert form.non_field_errors() == [str(STORAGE_ERROR_MESSAGE)]
    assert form["phones"].value() == "912345678"
    client.refresh_from_db()
    assert client.phones == "987654321" and client.documents.count() == 1


# --- What each role may edit --------------------------------------------------------------------
def test_trader_edits_contact_register_data_and_accounts_only(trader_client, trader):
    client = active_client(owner=trader, phones="987654321")
    page = trader_client.get(change_url(client))
    form = page.context["adminform"].form
    # The operations register's data too: a trader completes its own clients' (policy.REGISTER_FIELDS).
    assert set(form.fields) == {"email", "cc_emails", "phones", "nationality", "date_of_birth"}
    data = admin_form_data(page)
    data["phones"] = "987654321; 912345678"
    data["nombres"] = "HACKED"  # not in the form: ignored
    data["document_number"] = "99999999"
    accounts, initial, _t = prefix_of(page, "bankaccount")
    add_account(data, accounts, initial, bank=Bank.INTERBANK, currency="USD", number="2003001234567")
    response = trader_client.post(change_url(client), data)
    assert response.status_code == 302, response.context["errors"]
    client.refresh_from_db()
    assert client.phones == "987654321; 912345678"
    assert client.nombres != "HACKED" and client.document_number != "99999999"
    assert client.accounts.count() == 3


def test_trader_sees_masked_account_numbers_operador_sees_them_whole(trader, operador):
    client = active_client(owner=trader)
    number = client.accounts.first().number
    trader_page = logged_in(trader).get(change_url(client)).content.decode()
    assert number not in trader_page and f"****{number[-4:]}" in trader_page
    assert number in logged_in(operador).get(change_url(client)).content.decode()


def test_trader_deactivates_an_account_but_cannot_break_the_rules(trader_client, trader):
    client = active_client(owner=trader)
    page = trader_client.get(change_url(client))
    data = admin_form_data(page)
    accounts, initial, _t = prefix_of(page, "bankaccount")
    usd_index = next(i for i in range(initial) if data[f"{accounts}-{i}-currency"] == Currency.USD)
    data.pop(f"{accounts}-{usd_index}-is_active")
    response = trader_client.post(change_url(client), data)
    assert response.status_code == 200
    assert "Un cliente necesita al menos una cuenta activa en dólares (USD)." in response.content.decode()
    add_account(data, accounts, initial, bank=Bank.INTERBANK, currency="USD", number="2003009999999")
    response = trader_client.post(change_url(client), data)
    assert response.status_code == 302
    assert client.accounts.filter(is_active=False).count() == 1  # kept, never deleted
    assert client.accounts.count() == 3


def test_operador_edits_everything_but_the_document(operador_client, trader):
    client = active_client(owner=trader)
    page = operador_client.get(change_url(client))
    form = page.context["adminform"].form
    assert "document_number" not in form.fields and "document_type" not in form.fields
    assert {"nombres", "address", "is_pep", "email"} <= set(form.fields)
    assert "owner" not in form.fields and "status" not in form.fields
    data = admin_form_data(page)
    data.update(
        {
            "nombres": "rosa elena",
            "district": "miraflores",
            "is_pep": "on",
            "pep_position": "Regidora",
            "pep_entity": "Municipalidad de Lima",
        }
    )
    response = operador_client.post(change_url(client), data)
    assert response.status_code == 302, response.context["errors"]
    client.refresh_from_db()
    assert (client.nombres, client.district, client.is_pep) == ("ROSA ELENA", "MIRAFLORES", True)


def test_no_delete_anywhere(master_client, trader):
    client = active_client(owner=trader)
    assert master_client.get(reverse("admin:clients_client_delete", args=[client.pk])).status_code == 403
    response = master_client.get(CHANGELIST)
    assert "delete_selected" not in dict(response.context["cl"].model_admin.get_actions(response.wsgi_request))
    page = master_client.get(change_url(client)).content.decode()
    assert "-DELETE" not in page


# --- Review: buttons and actions -----------------------------------------------------------------
def test_activate_button_refuses_with_reasons_then_activates(
    operador_client, trader, django_capture_on_commit_callbacks
):
    client = ClientFactory(owner=trader)
    BankAccountFactory(client=client, currency=Currency.PEN)
    url = reverse("admin:clients_client_activate", args=[client.pk])
    assert operador_client.get(url).status_code == 405
    page = operador_client.get(change_url(client)).content.decode()
    assert "Activar cliente" in page and "Antes de poder activarlo:" in page
    response = operador_client.post(url, follow=True)
    text = " ".join(messages_of(response))
    assert "Un cliente necesita al menos una cuenta activa en dólares (USD)." in text
    client.refresh_from_db()
    assert client.status == ClientStatus.INACTIVE
    BankAccountFactory(client=client, currency=Currency.USD)
    ClientDocumentFactory(client=client)
    with django_capture_on_commit_callbacks(execute=True):
        response = operador_client.post(url, follow=True)
    assert f"El cliente {client.display_name} ahora está Activo." in messages_of(response)
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE and client.status_changed_by.username == "o_operador"
    page = response.content.decode()
    assert "Desactivar cliente" in page
    when = timezone.localtime(client.status_changed_at)
    assert f"último cambio por {client.status_changed_by.display_name} el {when:%d/%m/%Y %H:%M}" in page


def test_trader_has_no_review_buttons_and_the_url_refuses(trader_client, trader):
    client = active_client(owner=trader)
    page = trader_client.get(change_url(client)).content.decode()
    assert "Desactivar cliente" not in page and "Activar cliente" not in page
    response = trader_client.post(reverse("admin:clients_client_deactivate", args=[client.pk]), follow=True)
    assert "No tiene permiso para desactivar clientes." in " ".join(messages_of(response))
    client.refresh_from_db()
    assert client.is_active


def test_bulk_activation_action_reports_each_client(operador_client, trader):
    ready = ClientFactory(owner=trader)
    BankAccountFactory(client=ready, currency=Currency.PEN)
    BankAccountFactory(client=ready, currency=Currency.USD)
    ClientDocumentFactory(client=ready)
    incomplete = ClientFactory(owner=trader)
    response = operador_client.post(
        CHANGELIST, {"action": "activate_selected", "_selected_action": [ready.pk, incomplete.pk]}, follow=True
    )
    msgs = messages_of(response)
    assert "Clientes activados: 1." in msgs
    assert any(m.startswith(f"No se pudo activar a {incomplete.display_name}:") and "2 cuentas" in m for m in msgs)
    ready.refresh_from_db()
    incomplete.refresh_from_db()
    assert ready.is_active and not incomplete.is_active


def test_trader_has_no_actions(trader_client, trader):
    ClientFactory(owner=trader)
    response = trader_client.get(CHANGELIST)
    assert response.context["cl"].model_admin.get_actions(response.wsgi_request) == {}


# --- Portfolios ---------------------------------------------------------------------------------
def test_master_reassigns_a_selection_through_an_intermediate_page(master_client, master, trader, other_trader):
    a, b = ClientFactory(owner=trader), ClientFactory(owner=trader)
    post = {"action": "reassign_selected", "_selected_action": [a.pk, b.pk]}
    page = master_client.post(CHANGELIST, post)
    assert page.status_code == 200
    assert "Sí, reasignar" in page.content.decode() and a.display_name in page.content.decode()
    assert ClientReassignment.objects.count() == 0  # nothing moves before the confirmation
    response = master_client.post(CHANGELIST, {**post, "confirm": "yes", "to_owner": other_trader.pk}, follow=True)
    assert "2 clientes reasignados" in " ".join(messages_of(response))
    assert set(Client.objects.filter(owner=other_trader)) == {a, b}
    history = ClientReassignment.objects.get(client=a)
    assert (history.from_owner, history.to_owner, history.by) == (trader, other_trader, master)
    # The history is shown on the client's page.
    page = master_client.get(change_url(a))
    assert "Historial de reasignaciones".lower() in page.content.decode().lower()


def test_reassign_page_offers_only_portfolio_holders(master_client, trader, operador):
    client = ClientFactory(owner=trader)
    page = master_client.get(reverse("admin:clients_client_reassign", args=[client.pk]))
    choices = {c for c, _label in page.context["form"].fields["to_owner"].choices if c}
    assert operador.pk not in {int(str(c)) for c in choices}
    response = master_client.post(reverse("admin:clients_client_reassign", args=[client.pk]), {"to_owner": operador.pk})
    assert response.status_code == 200 and "to_owner" in response.context["form"].errors


def test_whole_portfolio_view(master_client, master, trader, other_trader):
    clients = [ClientFactory(owner=trader) for _ in range(3)]
    url = reverse("admin:clients_client_reassign_portfolio")
    page = master_client.post(url, {"from_owner": trader.pk, "to_owner": other_trader.pk})
    assert page.status_code == 200 and page.context["total"] == 3
    assert Client.objects.filter(owner=trader).count() == 3
    response = master_client.post(url, {"from_owner": trader.pk, "to_owner": other_trader.pk, "confirm": "yes"})
    assert response.status_code == 302
    assert Client.objects.filter(owner=other_trader).count() == 3
    assert ClientReassignment.objects.filter(from_owner=trader, to_owner=other_trader, by=master).count() == len(
        clients
    )


def test_traders_and_operadores_cannot_reassign(trader, operador):
    client = ClientFactory(owner=trader)
    for c in (logged_in(trader), logged_in(operador)):
        assert c.get(reverse("admin:clients_client_reassign_portfolio")).status_code == 403
        assert c.get(reverse("admin:clients_client_reassign", args=[client.pk])).status_code == 403


def test_rule_broken_on_a_read_only_field_is_shown_not_a_500(trader_client, trader):
    # Imported or legacy data may break a rule on a field the Trader cannot edit.
    client = active_client(owner=trader)
    Client.objects.filter(pk=client.pk).update(is_pep=True, pep_position="", pep_entity="X")
    page = trader_client.get(change_url(client))
    data = admin_form_data(page)
    data["phones"] = "912345678"
    response = trader_client.post(change_url(client), data)
    assert response.status_code == 200
    assert "Cargo PEP: Para un PEP indique el cargo." in response.content.decode()


def test_operador_registers_for_a_trader_choosing_among_portfolio_holders(operador_client, operador, trader, master):
    page = operador_client.get(ADD)
    choices = {int(str(value)) for value, _label in page.context["adminform"].form.fields["owner"].choices if value}
    assert choices == {trader.pk, operador.pk}  # holders, plus the registering user itself; never the Master
    assert page.context["adminform"].form.initial["owner"] == operador.pk


def test_two_people_registering_the_same_document_at_once_get_a_message_not_a_500(
    trader_client, trader, other_trader, monkeypatch
):
    page = trader_client.get(ADD)
    data = admin_form_data(page)
    data.update(
        {
            "document_number": "41234568",
            "apellido_paterno": "Quispe",
            "apellido_materno": "Mamani",
            "nombres": "Rosa",
            "email": "rosa@correo.pe",
        }
    )
    accounts, _i, _t = prefix_of(page, "bankaccount")
    add_account(data, accounts, 0, number="19112345678012")
    add_account(data, accounts, 1, number="2003001234567", bank=Bank.INTERBANK, currency="USD")
    real = Client.full_clean

    def the_other_registration_lands_now(instance, *args, **kwargs):
        real(instance, *args, **kwargs)  # the form and the service both found the document free...
        if kwargs.get("validate_constraints", True) and instance.pk is None:  # ...the service's check
            ClientFactory(owner=other_trader, document_number=instance.document_number)  # the other insert

    monkeypatch.setattr(Client, "full_clean", the_other_registration_lands_now)
    response = trader_client.post(ADD, data)
    assert response.status_code == 200  # the same page again, not a redirect that loses the input
    form = response.context["adminform"].form
    assert form.errors["document_number"] == ["Ya existe un cliente con DNI 41234568."]
    assert form["apellido_paterno"].value() == "Quispe" and form["email"].value() == "rosa@correo.pe"
    rows = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == accounts)
    assert [f["number"].value() for f in rows.forms[:2]] == ["19112345678012", "2003001234567"]
    assert not Client.objects.filter(owner=trader).exists()
    assert BankAccount.objects.count() == 0


# --- QA walk-through: what people read on the client page ---------------------------------------
USER_ADMIN_LINK = "/admin/accounts/user/"


def test_trader_reads_plain_user_names_master_gets_links(trader, operador, master):
    client = active_client(owner=trader)
    client.status_changed_by = operador
    client.save()
    page = logged_in(trader).get(change_url(client)).content.decode()
    assert USER_ADMIN_LINK + f"{trader.pk}/" not in page  # a link there would be a 403 for a Trader
    assert USER_ADMIN_LINK + f"{operador.pk}/" not in page
    assert str(trader) in page and str(operador) in page  # created by, uploaded by, status changed by
    page = logged_in(master).get(change_url(client)).content.decode()
    assert f'href="{reverse("admin:accounts_user_change", args=[trader.pk])}"' in page
    assert f'href="{reverse("admin:accounts_user_change", args=[operador.pk])}"' in page


def test_user_links_follow_the_permission_not_the_role(trader):
    from django.contrib.auth.models import Permission

    client = active_client(owner=trader)
    trader.user_permissions.add(Permission.objects.get(codename="view_user", content_type__app_label="accounts"))
    page = logged_in(trader).get(change_url(client)).content.decode()
    assert f'href="{reverse("admin:accounts_user_change", args=[trader.pk])}"' in page


def test_reassignment_history_reads_as_names_without_the_raw_row_label(master_client, master, trader, other_trader):
    from clients import services

    trader.first_name, trader.last_name = "Tania", "Rojas"
    trader.save()
    other_trader.first_name, other_trader.last_name = "Luis", "Paredes"
    other_trader.save()
    client = ClientFactory(owner=trader)
    services.reassign_clients([client.pk], other_trader, by=master)
    move = ClientReassignment.objects.get(client=client)
    response = master_client.get(change_url(client))
    page = response.content.decode()
    assert f"{client.pk}: {trader.pk} → {other_trader.pk}" not in page
    assert str(move).startswith("De Tania Rojas a Luis Paredes, ")
    # The tabular inline's row label is hidden (clients_admin.css) in the history table.
    inline = next(i for i in response.context["inline_admin_formsets"] if i.opts.model is ClientReassignment)
    assert "client-history" in inline.classes
    css = Path(finders.find("clients/clients_admin.css")).read_text()
    assert "fieldset.client-history td.original p { display: none; }" in css
    assert "Tania Rojas" in page and "Luis Paredes" in page  # the from / to columns


def test_client_form_shows_one_message_for_a_bad_account_number(trader_client):
    page = trader_client.get(ADD)
    data = admin_form_data(page)
    data.update(
        {
            "document_number": "41234567",
            "apellido_paterno": "Quispe",
            "apellido_materno": "Mamani",
            "nombres": "Rosa",
            "email": "rosa@correo.pe",
        }
    )
    accounts, _i, _t = prefix_of(page, "bankaccount")
    add_account(data, accounts, 0, number="12ab")
    add_account(data, accounts, 1, number="1234-5678-9012-3456-7890-12", currency="USD")
    response = trader_client.post(ADD, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("El número de cuenta debe tener de 6 a 20 dígitos (se admiten guiones).") == 2  # one per row
    assert "El número de cuenta debe tener de 6 a 20 dígitos." not in content
    assert "como máximo 20 caracteres" not in content
    formset = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.model is BankAccount)
    assert [len(f.errors.get("number", [])) for f in formset.forms[:2]] == [1, 1]
    assert Client.objects.count() == 0
