"""Client e-mails: stored in the outbox with the change, recipients, Spanish subjects, greetings in
normal capitalisation and masked numbers (the previous system leaked them)."""

import pytest
from django.core import mail
from django.db import transaction

from clients import emails, services
from clients.models import Currency
from clients.tests.factories import BankAccountFactory, ClientDocumentFactory, ClientFactory, CompanyFactory
from qoricash.outbox.models import EmailStatus, OutboundEmail

pytestmark = pytest.mark.django_db


def stored_texts(message):
    return [message.subject, message.body_text, message.body_html]


@pytest.fixture
def full_client(trader):
    client = ClientFactory(
        owner=trader, document_number="41234567", cc_emails="esposa@correo.pe", nombres="LUCÍA FERNANDA"
    )
    BankAccountFactory(client=client, currency=Currency.PEN, number="19112345678012")
    BankAccountFactory(client=client, currency=Currency.USD, number="19198765432109")
    ClientDocumentFactory(client=client)
    return client


def test_registration_mail_goes_to_the_client_with_the_executive_in_copy_and_masks_numbers(full_client, trader):
    message = emails.queue_registration_received(full_client)
    assert message.kind == emails.REGISTRATION_RECEIVED and message.related == full_client
    assert message.subject == "Bienvenido a QoriCash - Registro en Proceso"
    assert message.to == full_client.email
    assert message.cc == f"esposa@correo.pe, {trader.email}"
    for text in stored_texts(message):
        assert "41234567" not in text and "19112345678012" not in text and "19198765432109" not in text
    for body in (message.body_text, message.body_html):
        assert "****4567" in body
        assert "BCP | PEN | ****8012" in body and "BCP | USD | ****2109" in body
        assert "Su ejecutivo" in body and "validación" in body
        assert "Hola Lucía Fernanda:" in body and "LUCÍA FERNANDA" not in body


def test_a_company_is_greeted_by_its_name_in_normal_capitalisation(trader):
    company = CompanyFactory(owner=trader, razon_social="FARMACIAS SALUD TOTAL S.A.C.")
    message = emails.queue_registration_received(company)
    assert "Estimados Farmacias Salud Total S.A.C.:" in message.body_text
    assert "Estimados Farmacias Salud Total S.A.C.:" in message.body_html
    assert company.document_number not in "".join(stored_texts(message))


def test_activation_mail_is_stored_with_the_activation_and_sent_after_commit(
    full_client, trader, operador, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.activate_client(full_client, by=operador)
    message = OutboundEmail.objects.get(kind=emails.ACCOUNT_ACTIVATED)
    assert message.subject == "Cuenta Activada - Bienvenido a QoriCash"
    assert message.to == full_client.email and trader.email in message.cc
    for text in stored_texts(message):
        assert "41234567" not in text
    assert "****4567" in message.body_text and "ACTIVA" in message.body_text
    message.refresh_from_db()
    assert message.status == EmailStatus.SENT
    (sent,) = mail.outbox
    assert sent.subject == message.subject and sent.to == [full_client.email] and trader.email in sent.cc


def test_the_message_exists_before_any_delivery(full_client, operador):
    with transaction.atomic():
        services.activate_client(full_client, by=operador)
        assert OutboundEmail.objects.filter(kind=emails.ACCOUNT_ACTIVATED, status=EmailStatus.PENDING).exists()
    assert mail.outbox == []


def test_nothing_is_stored_when_the_transaction_rolls_back(trader, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    from clients.models import BankAccount

    client = ClientFactory.build(owner=None, created_by=None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError):
        services.register_client(client, by=trader, accounts=[BankAccount(currency=Currency.PEN)])
    assert callbacks == [] and mail.outbox == [] and not OutboundEmail.objects.exists()
