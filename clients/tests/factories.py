import datetime

import factory
from stdnum.pe import ruc as stdnum_ruc

from accounts.tests.factories import UserFactory
from clients.models import (
    AccountType,
    Bank,
    BankAccount,
    Client,
    ClientDocument,
    ClientStatus,
    Currency,
    DocumentKind,
    DocumentType,
)

# Smallest valid PDF header: enough for the magic-byte validator.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def valid_ruc(n: int, prefix: str = "20") -> str:
    body = f"{prefix}{n % 10**8:08d}"
    return body + stdnum_ruc.calc_check_digit(body)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    document_type = DocumentType.DNI
    document_number = factory.Sequence(lambda n: f"{40000000 + n:08d}")
    apellido_paterno = "QUISPE"
    apellido_materno = "MAMANI"
    nombres = factory.Sequence(lambda n: f"JUAN {n}")
    # What the operations register (UIF) needs of a person.
    nationality = "Peruana"
    date_of_birth = datetime.date(1985, 5, 10)
    occupation = "Contador"
    email = factory.Sequence(lambda n: f"cliente{n}@example.pe")
    phones = "987654321"
    address = "AV. AREQUIPA 123"
    district = "MIRAFLORES"
    province = "LIMA"
    department = "LIMA"
    owner = factory.SubFactory(UserFactory, role="Trader")
    created_by = factory.SelfAttribute("owner")
    status = ClientStatus.INACTIVE


class CompanyFactory(ClientFactory):
    document_type = DocumentType.RUC
    document_number = factory.Sequence(lambda n: valid_ruc(n))
    apellido_paterno = ""
    apellido_materno = ""
    nombres = ""
    razon_social = factory.Sequence(lambda n: f"EMPRESA {n} S.A.C.")
    contact_person = "ROSA TORRES"
    nationality = ""
    date_of_birth = None
    occupation = ""
    economic_activity = "Comercio al por mayor"
    legal_rep_name = "ROSA TORRES"
    legal_rep_document_type = DocumentType.DNI
    legal_rep_document_number = "41234567"


class BankAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BankAccount

    client = factory.SubFactory(ClientFactory)
    bank = Bank.BCP
    account_type = AccountType.SAVINGS
    currency = Currency.PEN
    number = factory.Sequence(lambda n: f"19{n:011d}")
    cci = ""


class ClientDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientDocument

    client = factory.SubFactory(ClientFactory)
    kind = DocumentKind.ID_FRONT
    file = factory.django.FileField(filename="dni.pdf", data=PDF_BYTES)
    uploaded_by = factory.SelfAttribute("client.owner")


def active_client(owner=None, **kwargs):
    """An Activo client with one PEN and one USD account and an ID document: ready to trade."""
    if owner is not None:
        kwargs["owner"] = owner
    client = ClientFactory(status=ClientStatus.ACTIVE, **kwargs)
    BankAccountFactory(client=client, currency=Currency.PEN)
    BankAccountFactory(client=client, currency=Currency.USD)
    ClientDocumentFactory(client=client)
    return client
