"""Client e-mails: recipients, Spanish subjects and masked numbers (the previous system leaked them)."""

import pytest
from django.core import mail

from clients import emails, services
from clients.models import Currency
from clients.tests.factories import BankAccountFactory, ClientDocumentFactory, ClientFactory

pytestmark = pytest.mark.django_db


def bodies(message):
    return [message.body] + [content for content, _type in message.alternatives]


@pytest.fixture
def full_client(trader):
    client = ClientFactory(owner=trader, document_number="41234567", cc_emails="esposa@correo.pe")
    BankAccountFactory(client=client, currency=Currency.PEN, number="19112345678012")
    BankAccountFactory(client=client, currency=Currency.USD, number="19198765432109")
    ClientDocumentFactory(client=client)
    return client


def test_registration_mail_goes_to_the_client_with_the_executive_in_copy_and_masks_numbers(full_client, trader):
    emails.send_registration_received(full_client.pk)
    (message,) = mail.outbox
    assert message.subject == "[QoriCash] Bienvenido a QoriCash - Registro en Proceso" or message.subject.endswith(
        "Bienvenido a QoriCash - Registro en Proceso"
    )
    assert message.to == [full_client.email]
    assert message.cc == ["esposa@correo.pe", trader.email]
    for body in bodies(message):
        assert "41234567" not in body and "****4567" in body
        assert "19112345678012" not in body and "19198765432109" not in body
        assert "BCP | PEN | ****8012" in body and "BCP | USD | ****2109" in body
        assert "Su ejecutivo" in body and "validación" in body


def test_activation_mail_masks_the_document(full_client, trader, operador, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.activate_client(full_client, by=operador)
    (message,) = mail.outbox
    assert message.subject.endswith("Cuenta Activada - Bienvenido a QoriCash")
    assert message.to == [full_client.email] and trader.email in message.cc
    for body in bodies(message):
        assert "41234567" not in body and "****4567" in body
        assert "ACTIVA" in body


def test_nothing_is_sent_when_the_transaction_rolls_back(trader, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    from clients.models import BankAccount

    client = ClientFactory.build(owner=None, created_by=None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError):
        services.register_client(client, by=trader, accounts=[BankAccount(currency=Currency.PEN)])
    assert callbacks == [] and mail.outbox == []
