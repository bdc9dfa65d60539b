"""Writing messages into the outbox. Call `enqueue` inside the transaction of the business change:
the row commits or rolls back with it, and a best-effort delivery runs right after the commit."""

from typing import NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.template.loader import render_to_string
from django.utils import translation

from qoricash.files import name_for_type
from qoricash.outbox.models import OutboundEmail, split_addresses


class Attachment(NamedTuple):
    """A file in the private storage, read when the message is sent (never copied into the outbox)."""

    name: str
    filename: str
    content_type: str = "application/octet-stream"


def attachment_of(private_file):
    """The attachment of a stored `qoricash.files.PrivateFile` (its original name and type)."""
    return Attachment(
        name=private_file.file.name,
        filename=name_for_type(
            private_file.original_name or private_file.file.name.rsplit("/", 1)[-1], private_file.content_type
        ),
        content_type=private_file.content_type or "application/octet-stream",
    )


def _addresses(value):
    items = split_addresses(value) if isinstance(value, str) else [a.strip() for a in value or () if a and a.strip()]
    unique, seen = [], set()
    for address in items:
        if address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique


def render(template, context):
    """(text, html) from `<template>.txt` and `<template>.html`, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(f"{template}.txt", context), render_to_string(f"{template}.html", context)


def enqueue(
    kind,
    *,
    to,
    subject,
    text=None,
    html="",
    template=None,
    context=None,
    cc=(),
    bcc=(),
    attachments=(),
    related=None,
    confidential=False,
    deliver=True,
):
    """Store one message and return it, or None when it has no recipient.

    `to`, `cc`, `bcc`: addresses (list or comma/semicolon separated text); a cc/bcc address that is
    already a recipient is dropped. Bodies come from `text`/`html` or from `template` + `context`.
    `related`: the object the message is about (shown and searchable in the admin).
    `confidential`: the body carries a personal link; the admin never shows it.
    """
    to = _addresses(to)
    if not to:
        return None
    cc = [a for a in _addresses(cc) if a.lower() not in {t.lower() for t in to}]
    taken = {a.lower() for a in to + cc}
    bcc = [a for a in _addresses(bcc) if a.lower() not in taken]
    if template:
        text, html = render(template, context or {})
    message = OutboundEmail(
        kind=kind,
        to=", ".join(to),
        cc=", ".join(cc),
        bcc=", ".join(bcc),
        subject=" ".join(str(subject).split())[:255],
        body_text=text or "",
        body_html=html or "",
        attachments=[Attachment(*a)._asdict() for a in attachments],
        confidential=confidential,
    )
    if related is not None:
        from django.contrib.contenttypes.models import ContentType

        message.related_type = ContentType.objects.get_for_model(related)
        message.related_id = str(related.pk)
        message.related_label = str(related)[:120]
    message.save()
    if deliver and getattr(settings, "EMAIL_DELIVER_ON_COMMIT", True):
        _deliver_after_commit(message.pk)
    return message


class _Batch:
    """The best-effort deliveries of one transaction share one deadline: a slow mail server never
    holds the request much longer than EMAIL_TIMEOUT, however many messages it wrote."""

    def __init__(self):
        self.deadline = None
        self.stopped = False


class _AfterCommit:
    def __init__(self, batch, pk):
        self.batch, self.pk = batch, pk

    def __call__(self):
        from qoricash.outbox.delivery import deliver_after_commit

        deliver_after_commit(self.pk, self.batch)


def _deliver_after_commit(pk, using=DEFAULT_DB_ALIAS):
    connection = transaction.get_connection(using)
    batch = None
    if connection.in_atomic_block:
        # Share the batch of this transaction's earlier messages (one registered inside a savepoint
        # that rolled back is gone from the list, and so are its rows).
        for _sids, hook, *_rest in connection.run_on_commit:
            if isinstance(hook, _AfterCommit):
                batch = hook.batch
    transaction.on_commit(_AfterCommit(batch or _Batch(), pk), using=using)
