"""Operation e-mails through the outbox: each kind's recipients, subject and masked content (checked
against the test client's real numbers), the cancelled message, and the vouchers attached."""

import pytest
from django.core import mail
from django.db import transaction

from operations import emails, services
from operations.tests.conftest import REFUSED
from qoricash.outbox import delivery
from qoricash.outbox.models import EmailStatus, OutboundEmail

pytestmark = pytest.mark.django_db


def secrets_of(op):
    """Every full number of the client that must never appear in a stored message."""
    client = op.client
    numbers = [client.document_number]
    for account in client.accounts.all():
        numbers += [account.number, account.cci] if account.cci else [account.number]
    return [n for n in numbers if n]


def assert_masked(message, op, shown=("source_account", "destination_account")):
    """No full number of the client anywhere; the accounts the message names, by their last 4."""
    stored = "\n".join([message.subject, message.body_text, message.body_html])
    for number in secrets_of(op):
        assert number not in stored, number
    for name in shown:
        assert f"****{getattr(op, name).number[-4:]}" in message.body_text


def only(kind):
    return OutboundEmail.objects.get(kind=kind)


def test_new_operation(make_operation, trader, houses):
    op = make_operation()
    message = only(emails.NEW)
    assert message.status == EmailStatus.PENDING and message.related == op  # stored, not yet delivered
    assert message.subject == f"Nueva operación #{op.code} - QoriCash Trading"
    assert message.to == op.client.email and message.cc == trader.email
    assert_masked(message, op)
    assert houses[op.client_sends_currency].number in message.body_text  # where to transfer, in full
    assert message.body_text.startswith(f"Hola {op.client.nombres.title()}:")


def test_completed_operation_attaches_the_payout_vouchers(in_process_op, pay, operador, trader):
    payout = pay(operador, in_process_op)
    op = services.complete_operation(in_process_op, by=operador)
    message = only(emails.COMPLETED)
    assert message.subject == f"Operación completada #{op.code} - QoriCash Trading"
    assert message.to == op.client.email and trader.email in message.cc
    assert_masked(message, op, shown=["destination_account"])
    assert message.attachments == [
        {"name": payout.file.name, "filename": payout.original_name, "content_type": payout.content_type}
    ]
    assert "Adjuntamos el comprobante de la transferencia." in message.body_text
    delivery.deliver_pending([message.pk])
    (sent,) = mail.outbox
    with payout.file.open("rb") as handle:
        assert sent.attachments == [(payout.original_name, handle.read(), payout.content_type)]


def test_a_voided_payout_is_not_attached(in_process_op, pay, operador):
    wrong = pay(operador, in_process_op)
    services.void_movement(wrong, by=operador, reason="Monto equivocado")
    right = pay(operador, in_process_op)
    services.complete_operation(in_process_op, by=operador)
    assert [a["name"] for a in only(emails.COMPLETED).attachments] == [right.file.name]


def test_cancelled_operation_tells_the_client_and_copies_the_trader(make_operation, trader):
    op = make_operation()
    op = services.cancel_operation(op, by=trader, reason="El cliente desistió <b>hoy</b>")
    message = only(emails.CANCELLED)
    assert message.subject == f"Operación cancelada #{op.code} - QoriCash Trading"
    assert message.to == op.client.email and message.cc == trader.email
    assert message.related == op
    assert_masked(message, op)
    assert f"Su operación {op.code} fue cancelada el" in message.body_text
    assert "Motivo: El cliente desistió <b>hoy</b>" in message.body_text
    assert "&lt;b&gt;hoy&lt;/b&gt;" in message.body_html  # the reason is escaped in HTML
    assert "US$ 1,000.00" in message.body_text


def test_returned_operation_goes_to_the_trader(in_process_op, operador, trader):
    services.return_to_pending(in_process_op, by=operador, reason="Abono no figura")
    message = only(emails.RETURNED)
    assert message.to == trader.email and message.cc == ""
    assert_masked(message, in_process_op, shown=["source_account"])


def test_a_refused_change_leaves_no_message(make_operation):
    with pytest.raises(REFUSED), transaction.atomic():
        make_operation(amount_usd="0")
    assert not OutboundEmail.objects.exists()


def test_a_cancel_rolled_back_later_leaves_no_message(make_operation, trader):
    op = make_operation()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.cancel_operation(op, by=trader, reason="x")
        raise RuntimeError("something after the cancel failed")
    assert not OutboundEmail.objects.filter(kind=emails.CANCELLED).exists()
