"""A document attached to a client form the server refuses is kept: the next submit needs no new file."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, DocumentKind
from clients.tests.factories import valid_ruc
from clients.tests.helpers import admin_form_data, pdf, prefix_of
from clients.tests.test_admin import add_account
from qoricash import held_uploads
from qoricash.models import HeldUpload

pytestmark = pytest.mark.django_db

ADD = reverse("admin:clients_client_add")


def company_form(page, document_number):
    data = admin_form_data(page)
    data.update(
        {
            "document_type": "RUC",
            "document_number": document_number,
            "razon_social": "Inversiones Andinas S.A.C.",
            "contact_person": "Marco Tello",
            "email": "finanzas@andinas.pe",
            "phones": "014445555",
        }
    )
    accounts, _initial, _total = prefix_of(page, "bankaccount")
    add_account(data, accounts, 0, number="19112345678012", currency="PEN")
    add_account(data, accounts, 1, number="19112345678013", currency="USD")
    return data


def held_reference(response, prefix):
    match = re.search(rf'name="{prefix}-0-file__held" value="([0-9a-f-]+)"', response.content.decode())
    return match.group(1) if match else None


def refused_with_a_document(client_, page):
    bad_ruc = valid_ruc(4321)[:-1] + str((int(valid_ruc(4321)[-1]) + 1) % 10)
    data = company_form(page, bad_ruc)
    docs, _initial, _total = prefix_of(page, "clientdocument", upload=True)
    data[f"{docs}-0-kind"] = DocumentKind.REP_FRONT
    data[f"{docs}-0-file"] = pdf("ficha-ruc-andinas.pdf")
    response = client_.post(ADD, data)
    assert response.status_code == 200 and Client.objects.count() == 0  # refused: bad RUC check digit
    return response, data, docs


def test_a_file_that_passed_its_checks_is_kept_across_the_refusal(trader_client, trader):
    page = trader_client.get(ADD)
    response, data, docs = refused_with_a_document(trader_client, page)
    content = response.content.decode()
    assert "Archivo ya adjunto: ficha-ruc-andinas.pdf" in content
    reference = held_reference(response, docs)
    assert reference and HeldUpload.objects.get(pk=reference).user == trader

    # The user fixes the RUC and submits again without choosing the file: the browser posts the reference.
    data = dict(data, document_number=valid_ruc(4321))
    data.pop(f"{docs}-0-file")
    data[f"{docs}-0-file__held"] = reference
    response = trader_client.post(ADD, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    document = Client.objects.get().documents.get()
    assert (document.kind, document.original_name, document.content_type) == (
        DocumentKind.REP_FRONT,
        "ficha-ruc-andinas.pdf",
        "application/pdf",
    )
    assert document.file.name.startswith(document.upload_folder + "/")  # stored as a document, not as held


def test_another_users_or_an_old_reference_is_ignored(client, trader, other_trader):
    client.force_login(trader)
    page = client.get(ADD)
    response, data, docs = refused_with_a_document(client, page)
    reference = held_reference(response, docs)
    data = dict(data, document_number=valid_ruc(4321))
    data.pop(f"{docs}-0-file")
    data[f"{docs}-0-file__held"] = reference

    client.force_login(other_trader)
    response = client.post(ADD, data)
    assert response.status_code == 200 and not Client.objects.exists()  # the row has a kind but no file
    assert "Archivo ya adjunto" not in response.content.decode()

    HeldUpload.objects.update(created_at=timezone.now() - held_uploads.MAX_AGE - timedelta(minutes=1))
    client.force_login(trader)
    response = client.post(ADD, data)
    assert response.status_code == 200 and not Client.objects.exists()
    assert "Archivo ya adjunto" not in response.content.decode()


def test_a_file_refused_by_its_own_checks_is_not_kept(trader_client):
    page = trader_client.get(ADD)
    data = company_form(page, "123")
    docs, _initial, _total = prefix_of(page, "clientdocument", upload=True)
    data[f"{docs}-0-kind"] = DocumentKind.REP_FRONT
    data[f"{docs}-0-file"] = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf")
    response = trader_client.post(ADD, data)
    assert response.status_code == 200
    assert "Archivo ya adjunto" not in response.content.decode()
    assert not HeldUpload.objects.exists()


def test_expired_held_files_are_cleaned_by_the_command(trader_client, settings, tmp_path):
    from django.core.management import call_command

    page = trader_client.get(ADD)
    refused_with_a_document(trader_client, page)
    held = HeldUpload.objects.get()
    storage = held.file.storage
    assert storage.exists(held.file.name)
    call_command("clean_held_uploads")
    assert HeldUpload.objects.count() == 1  # still fresh
    HeldUpload.objects.update(created_at=timezone.now() - held_uploads.MAX_AGE - timedelta(minutes=1))
    call_command("clean_held_uploads")
    assert not HeldUpload.objects.exists() and not storage.exists(held.file.name)
