"""Operation e-mails (Spanish), queued in the outbox inside the transition's transaction: to the
client (new, completed with the payout vouchers attached, cancelled) and to the trader (an operation
returned to Pendiente). A rolled-back change leaves no message; a committed one always has it.

The client's account executive is the client's CURRENT owner (`op.client.owner`): after a client is
reassigned, its e-mails name and copy the new owner, not `op.trader` (the executive at creation,
kept for reports).

No voucher URL and no full account number ever goes out: the client's accounts appear masked (last
4 digits). The house accounts the client must transfer to are shown in full (the client needs them).
"""

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from clients.emails import greeting
from qoricash import display
from qoricash.outbox.queue import attachment_of, enqueue

log = logging.getLogger(__name__)

NEW = "operation.new"
COMPLETED = "operation.completed"
RETURNED = "operation.returned"
CANCELLED = "operation.cancelled"


def _split(emails):
    return [e.strip() for e in (emails or "").replace(",", ";").split(";") if e.strip()]


def executive(op):
    """The client's account executive now: its current owner (not op.trader after a reassignment)."""
    return op.client.owner


def recipients(op):
    """(to, cc): the client; in copy the client's copy addresses and its account executive."""
    return _split(op.client.email), [*_split(op.client.cc_emails), getattr(executive(op), "email", "")]


def _context(op):
    from clients.models import Currency
    from operations.models import HouseBankAccount, OperationType, mask_snapshot

    sends, receives = op.client_sends_currency, op.client_receives_currency
    return {
        "op": op,
        "greeting": greeting(op.client),
        "client_name": display.name_case(op.client.display_name),
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
        "cancelled_at": display.datetime(op.cancelled_at),
        "executive": executive(op).display_name,
        "executive_email": executive(op).email,
        "house_accounts": list(HouseBankAccount.objects.filter(is_active=True, currency=sends)),
    }


def _to_client(kind, template, subject, op, *, attachments=(), **extra):
    to, cc = recipients(op)
    if not to:
        log.warning("operation %s: client has no e-mail, %s not queued", op.code, kind)
        return None
    with translation.override(settings.LANGUAGE_CODE):
        return enqueue(
            kind,
            to=to,
            cc=cc,
            subject=subject % {"code": op.code},
            template=f"operations/email/{template}",
            context={**_context(op), **extra},
            attachments=attachments,
            related=op,
        )


def queue_new_operation(op):
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("New operation #%(code)s - QoriCash Trading")
    return _to_client(NEW, "new_operation", subject, op)


def queue_completed_operation(op):
    """The client's proof of payment: the vouchers of the payouts that count, read at send time."""
    vouchers = [attachment_of(p) for p in op.payouts.not_voided().order_by("pk") if p.file]
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Operation completed #%(code)s - QoriCash Trading")
    return _to_client(COMPLETED, "completed_operation", subject, op, attachments=vouchers, vouchers=len(vouchers))


def queue_cancelled_operation(op, reason):
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Operation cancelled #%(code)s - QoriCash Trading")
    return _to_client(CANCELLED, "cancelled_operation", subject, op, reason=reason)


def queue_returned_operation(op, event):
    """Tell the trader (the client's current owner) that the operator returned the operation, and why."""
    trader = op.client.owner
    to = _split(trader.email)
    if not to:
        log.warning("operation %s: trader %s has no e-mail, returned_operation not queued", op.code, trader.pk)
        return None
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            **_context(op),
            "greeting": _("Hello %(name)s,") % {"name": trader.display_name},
            # Staff read the register's name, as the admin shows it.
            "client_name": op.client.display_name,
            "returned_by": event.by.display_name,
            "returned_at": display.datetime(event.at),
            "reason": event.reason,
            "deposits_total": display.money(op.deposits_total, op.client_sends_currency),
        }
        return enqueue(
            RETURNED,
            to=to,
            subject=_("Operation #%(code)s returned to Pendiente - QoriCash Trading") % {"code": op.code},
            template="operations/email/returned_operation",
            context=context,
            related=op,
        )
