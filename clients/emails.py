"""E-mails to clients: registration received and account activated.

They go to the client (plus its copy addresses) with the account executive in CC. Document and
bank account numbers are always masked (****1234): the previous system mailed them in full.
Services queue them with `transaction.on_commit`, so nothing is sent for a rolled-back change, and
a mail failure is logged and never breaks the request that caused it.
"""

import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from clients.validators import mask, split_list

log = logging.getLogger(__name__)


def masked_account(account):
    return f"{account.get_bank_display()} | {account.currency} | {mask(account.number)}"


def _recipients(client):
    to = [client.email]
    cc = []
    for address in [*split_list(client.cc_emails), getattr(client.owner, "email", "")]:
        address = (address or "").strip().lower()
        if address and address not in to and address not in cc:
            cc.append(address)
    return to, cc


def _context(client):
    owner = client.owner
    return {
        "client_name": client.display_name,
        "document_type": client.get_document_type_display(),
        "masked_document": client.masked_document,
        "accounts": [masked_account(a) for a in client.accounts.filter(is_active=True)],
        "executive_name": owner.display_name,
        "executive_email": owner.email,
        "client_email": client.email,
    }


def _send(template, subject, client):
    context = _context(client)
    text = render_to_string(f"clients/email/{template}.txt", context)
    html = render_to_string(f"clients/email/{template}.html", context)
    to, cc = _recipients(client)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to, cc=cc)
    message.attach_alternative(html, "text/html")
    message.send()


def send_registration_received(client_id):
    from clients.models import Client

    client = Client.objects.select_related("owner").get(pk=client_id)
    with translation.override(settings.LANGUAGE_CODE):
        _send("registration_received", _("Welcome to QoriCash - Registration in progress"), client)


def send_account_activated(client_id):
    from clients.models import Client

    client = Client.objects.select_related("owner").get(pk=client_id)
    with translation.override(settings.LANGUAGE_CODE):
        _send("account_activated", _("Account activated - Welcome to QoriCash"), client)


def _safely(sender, client_id):
    try:
        sender(client_id)
    except Exception:
        # Never break the business action over an e-mail; the log says which one failed.
        log.exception("Client e-mail %s failed for client %s", sender.__name__, client_id)


def queue(sender, client_id):
    """Send after the surrounding transaction commits; failures are logged, not raised."""
    transaction.on_commit(partial(_safely, sender, client_id))
