"""Operation e-mails (Spanish), sent after the transaction commits: to the client (new, completed)
and to the trader (an operation returned to Pendiente).

The client's account executive is the client's CURRENT owner (`op.client.owner`): after a client is
reassigned, its e-mails name and copy the new owner, not `op.trader` (the executive at creation,
kept for reports).

A failure is logged and never raised: the operation is already recorded and must not be undone
because a mail server is down. No voucher URL and no full account number ever goes out: the
client's accounts appear masked (last 4 digits). The house accounts the client must transfer to
are shown in full (the client needs them).
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from qoricash import display

log = logging.getLogger(__name__)


def _split(emails):
    return [e.strip() for e in (emails or "").replace(",", ";").split(";") if e.strip()]


def executive(op):
    """The client's account executive now: its current owner (not op.trader after a reassignment)."""
    return op.client.owner


def recipients(op):
    """(to, cc): the client; in copy the client's copy addresses and its account executive."""
    to = _split(op.client.email)
    cc = []
    for address in [*_split(op.client.cc_emails), getattr(executive(op), "email", "")]:
        if address and address.lower() not in {a.lower() for a in to + cc}:
            cc.append(address)
    return to, cc


def _context(op):
    from clients.models import Currency
    from operations.models import HouseBankAccount, OperationType, mask_snapshot

    sends, receives = op.client_sends_currency, op.client_receives_currency
    return {
        "op": op,
        "client_name": op.client.display_name,
        "type_label": _("COMPRA USD") if op.type == OperationType.BUY else _("VENTA USD"),
        "amount_usd": display.money(op.amount_usd, Currency.USD),
        "amount_pen": display.money(op.amount_pen, Currency.PEN),
        "rate": display.rate(op.rate),
        "sends": display.money(op.client_sends_amount, sends),
        "receives": display.money(op.client_receives_amount, receives),
        "source": mask_snapshot(op.source_snapshot),
        "destination": mask_snapshot(op.destination_snapshot),
        "created_at": display.datetime(op.created_at),
        "completed_at": display.datetime(op.completed_at),
        "executive": executive(op).display_name,
        "executive_email": executive(op).email,
        "house_accounts": list(HouseBankAccount.objects.filter(is_active=True, currency=sends)),
    }


def send_operation_email(kind, op_id):
    from operations.models import Operation

    try:
        op = Operation.objects.select_related("client__owner").get(pk=op_id)
        to, cc = recipients(op)
        if not to:
            log.warning("operation %s: client has no e-mail, %s not sent", op.code, kind)
            return False
        with translation.override(settings.LANGUAGE_CODE):
            ctx = _context(op)
            if kind == "new_operation":
                subject = _("New operation #%(code)s - QoriCash Trading") % {"code": op.code}
            else:
                subject = _("Operation completed #%(code)s - QoriCash Trading") % {"code": op.code}
            text = render_to_string(f"operations/email/{kind}.txt", ctx)
            html = render_to_string(f"operations/email/{kind}.html", ctx)
        message = EmailMultiAlternatives(subject, text, to=to, cc=cc)
        message.attach_alternative(html, "text/html")
        message.send()
        log.info("operation %s: %s e-mail sent", op.code, kind)
        return True
    except Exception:
        log.exception("operation %s: %s e-mail failed", op_id, kind)
        return False


def new_operation_on_commit(op_id):
    transaction.on_commit(lambda: send_operation_email("new_operation", op_id))


def completed_operation_on_commit(op_id):
    transaction.on_commit(lambda: send_operation_email("completed_operation", op_id))


def send_returned_email(op_id, event_id):
    """Tell the trader (the client's current owner) that the operator returned the operation, and why."""
    from operations.models import OperationEvent

    try:
        event = OperationEvent.objects.select_related("operation__client__owner", "by").get(
            pk=event_id, operation_id=op_id
        )
        op, trader = event.operation, event.operation.client.owner
        to = _split(trader.email)
        if not to:
            log.warning("operation %s: trader %s has no e-mail, returned_operation not sent", op.code, trader.pk)
            return False
        with translation.override(settings.LANGUAGE_CODE):
            ctx = {
                **_context(op),
                "trader_name": trader.display_name,
                "returned_by": event.by.display_name,
                "returned_at": display.datetime(event.at),
                "reason": event.reason,
                "deposits_total": display.money(op.deposits_total, op.client_sends_currency),
            }
            subject = _("Operation #%(code)s returned to Pendiente - QoriCash Trading") % {"code": op.code}
            text = render_to_string("operations/email/returned_operation.txt", ctx)
            html = render_to_string("operations/email/returned_operation.html", ctx)
        message = EmailMultiAlternatives(subject, text, to=to)
        message.attach_alternative(html, "text/html")
        message.send()
        log.info("operation %s: returned_operation e-mail sent", op.code)
        return True
    except Exception:
        log.exception("operation %s: returned_operation e-mail failed", op_id)
        return False


def returned_operation_on_commit(op_id, event_id):
    transaction.on_commit(lambda: send_returned_email(op_id, event_id))
