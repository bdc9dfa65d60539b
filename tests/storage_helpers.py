"""Shared by the storage tests: private files of every kind, built straight on the models."""

import hashlib
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n% QoriCash test document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def upload(data=PDF, name="dni frente.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def client_document(owner, data=PDF, name="dni frente.pdf"):
    from clients.models import ClientDocument
    from clients.tests.factories import ClientFactory

    client = ClientFactory(owner=owner)
    doc = ClientDocument(client=client, kind="id_front", uploaded_by=owner, file=upload(data, name))
    doc.save()
    return doc


def deposit(owner, data=PNG, name="voucher.png"):
    from clients.tests.factories import active_client
    from operations.models import Deposit
    from operations.tests.factories import HouseBankAccountFactory, OperationFactory

    op = OperationFactory(client=active_client(owner=owner))
    dep = Deposit(
        operation=op,
        amount=Decimal("1000.00"),
        bank_reference="123456",
        client_account=op.source_account,
        house_account=HouseBankAccountFactory(),
        created_by=owner,
        file=upload(data, name, "image/png"),
    )
    dep.save()
    return dep


def payout(owner, data=PDF, name="constancia.pdf"):
    from clients.tests.factories import active_client
    from operations.models import Payout
    from operations.tests.factories import HouseBankAccountFactory, OperationFactory

    op = OperationFactory(client=active_client(owner=owner))
    pay = Payout(
        operation=op,
        amount=Decimal("3700.00"),
        client_account=op.destination_account,
        house_account=HouseBankAccountFactory(currency="PEN"),
        created_by=owner,
        file=upload(data, name),
    )
    pay.save()
    return pay


def funds_declaration(owner, data=PDF, name="boleta de pago.pdf"):
    from clients.tests.factories import active_client
    from operations.models import FundsDeclaration
    from operations.tests.factories import OperationFactory

    op = OperationFactory(client=active_client(owner=owner), amount_usd=Decimal("6000.00"))
    declaration = FundsDeclaration(operation=op, origin="salary", recorded_by=owner, file=upload(data, name))
    declaration.save()
    return declaration


MAKERS = {
    "clientdocument": client_document,
    "deposit": deposit,
    "payout": payout,
    "fundsdeclaration": funds_declaration,
}


def export_file(owner, data=b"PK\x03\x04 xlsx", name="QoriCash_Clientes_20-11-2026.xlsx"):
    """A ready background export of `owner` (qoricash.background_exports), downloadable for a week."""
    import datetime as dt

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from qoricash.models import ExportFile

    now = timezone.now()
    export = ExportFile(
        owner=owner,
        kind="clients",
        title="Clientes",
        rows=1,
        status=ExportFile.Status.READY,
        finished_at=now,
        expires_at=now + dt.timedelta(days=7),
        file=ContentFile(data, name=name),
    )
    export.save()
    return export
