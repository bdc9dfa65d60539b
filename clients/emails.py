"""E-mails to clients: registration received and account activated, queued in the outbox.

They go to the client (plus its copy addresses) with the account executive in CC. Document and
bank account numbers are always masked (****1234): the previous system mailed them in full.
Services call these inside their transaction: the message is stored with the change (nothing for a
rolled-back one) and delivered after the commit, or later by `send_pending_emails`.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from clients.validators import mask, split_list
from qoricash import display
from qoricash.outbox.queue import enqueue

REGISTRATION_RECEIVED = "client.registration"
ACCOUNT_ACTIVATED = "client.activated"


def masked_account(account):
    return f"{account.get_bank_display()} | {account.currency} | {mask(account.number)}"


def greeting(client):
    """'Hola Lucía Fernanda:' for a person (given names), 'Estimados Farmacias Salud Total S.A.C.:'
    for a company, in normal capitalisation rather than the register's capitals."""
    if client.is_company:
        return _("Dear %(name)s,") % {"name": display.name_case(client.razon_social)}
    return _("Hello %(name)s,") % {"name": display.name_case(client.nombres or client.display_name)}


def recipients(client):
    """(to, cc): the client; in copy its copy addresses and its account executive."""
    return [client.email], [*split_list(client.cc_emails), getattr(client.owner, "email", "")]


def _context(client):
    owner = client.owner
    return {
        "greeting": greeting(client),
        "client_name": display.name_case(client.display_name),
        "document_type": client.get_document_type_display(),
        "masked_document": client.masked_document,
        "accounts": [masked_account(a) for a in client.accounts.filter(is_active=True)],
        "executive_name": owner.display_name,
        "executive_email": owner.email,
        "client_email": client.email,
    }


def _queue(kind, template, subject, client):
    to, cc = recipients(client)
    with translation.override(settings.LANGUAGE_CODE):
        return enqueue(
            kind,
            to=to,
            cc=cc,
            subject=str(subject),
            template=f"clients/email/{template}",
            context=_context(client),
            related=client,
        )


def queue_registration_received(client):
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Welcome to QoriCash - Registration in progress")
    return _queue(REGISTRATION_RECEIVED, "registration_received", subject, client)


def queue_account_activated(client):
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Account activated - Welcome to QoriCash")
    return _queue(ACCOUNT_ACTIVATED, "account_activated", subject, client)
