"""Client, BankAccount and document rules at the model level; the portfolio queryset."""

import pytest
from django.core.exceptions import ValidationError

from clients.models import (
    AccountType,
    Bank,
    BankAccount,
    Client,
    Currency,
    DocumentKind,
    DocumentType,
    account_set_errors,
    document_errors,
)
from clients.tests.factories import BankAccountFactory, ClientFactory, CompanyFactory, active_client, valid_ruc

pytestmark = pytest.mark.django_db


def errors_of(instance):
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


def test_person_needs_both_surnames_and_names(trader):
    client = ClientFactory.build(owner=trader, created_by=trader, apellido_materno="", nombres=" ")
    errors = errors_of(client)
    assert errors["apellido_materno"] == ["Este campo es obligatorio para una persona natural."]
    assert "nombres" in errors
    assert "apellido_paterno" not in errors


def test_company_needs_razon_social_but_not_person_names(trader):
    client = CompanyFactory.build(owner=trader, created_by=trader, razon_social="")
    errors = errors_of(client)
    assert errors == {"razon_social": ["La razón social es obligatoria para un RUC."]}


def test_document_validated_per_type(trader):
    client = ClientFactory.build(
        owner=trader, created_by=trader, document_type=DocumentType.RUC, document_number="20123"
    )
    assert errors_of(client)["document_number"] == ["El RUC debe tener exactamente 11 dígitos."]


def test_duplicate_document_has_a_spanish_message(trader):
    existing = ClientFactory(owner=trader)
    dup = ClientFactory.build(owner=trader, created_by=trader, document_number=existing.document_number)
    assert errors_of(dup)["document_number"] == [f"Ya existe un cliente con DNI {existing.document_number}."]


def test_same_number_with_another_type_is_another_client(trader):
    ClientFactory(owner=trader, document_type=DocumentType.CE, document_number="000123456")
    ClientFactory.build(
        owner=trader, created_by=trader, document_type=DocumentType.PASSPORT, document_number="000123456"
    ).full_clean()


def test_document_cannot_change_on_an_existing_row(trader):
    client = ClientFactory(owner=trader)
    client.document_number = "87654321"
    assert errors_of(client)["document_number"] == [
        "El tipo y el número de documento no se pueden cambiar después del registro."
    ]
    client.refresh_from_db()
    client.document_type = DocumentType.PASSPORT
    assert "document_number" in errors_of(client)


def test_clean_normalises_case_spaces_and_lists(trader):
    client = ClientFactory.build(
        owner=trader,
        created_by=trader,
        apellido_paterno="  quispe ",
        nombres="rosa   elena",
        email=" Rosa@Correo.PE ",
        cc_emails="A@b.pe;;  c@d.pe ",
        phones=" 987654321 ;01 444 5555",
        district="miraflores",
    )
    client.full_clean()
    assert client.apellido_paterno == "QUISPE"
    assert client.nombres == "ROSA ELENA"
    assert client.email == "rosa@correo.pe"
    assert client.cc_emails == "a@b.pe; c@d.pe"
    assert client.phones == "987654321; 014445555"
    assert client.district == "MIRAFLORES"


def test_invalid_email_and_phone_are_refused(trader):
    client = ClientFactory.build(owner=trader, created_by=trader, email="no-es-correo", phones="987654321; 12")
    errors = errors_of(client)
    assert "email" in errors
    assert "«12» no es un teléfono válido" in errors["phones"][0]


def test_pep_needs_position_and_entity(trader):
    client = ClientFactory.build(owner=trader, created_by=trader, is_pep=True, pep_position="Regidor")
    assert errors_of(client) == {"pep_entity": ["Para un PEP indique la entidad donde ejerce el cargo."]}


def test_legal_representative_document_is_validated(trader):
    client = CompanyFactory.build(owner=trader, created_by=trader, legal_rep_name="", legal_rep_document_number="123")
    errors = errors_of(client)
    assert errors["legal_rep_document_number"] == ["El DNI debe tener exactamente 8 dígitos."]
    assert errors["legal_rep_name"] == ["Ingrese el nombre del representante legal."]


def test_display_name_follows_the_previous_system(trader):
    person = ClientFactory.build(apellido_paterno="Quispe", apellido_materno="Mamani", nombres="Rosa")
    company = CompanyFactory.build(razon_social="Inversiones Andinas S.A.C.")
    assert person.display_name == "QUISPE MAMANI ROSA"
    assert company.display_name == "INVERSIONES ANDINAS S.A.C."
    assert CompanyFactory.build(document_number=valid_ruc(9)).is_company


# --- Bank accounts ------------------------------------------------------------------------------
def test_cci_required_for_bbva_and_scotiabank(trader):
    client = ClientFactory(owner=trader)
    for bank in (Bank.BBVA, Bank.SCOTIABANK):
        account = BankAccountFactory.build(client=client, bank=bank, cci="")
        with pytest.raises(ValidationError) as exc:
            account.full_clean()
        assert "es obligatorio para" in exc.value.message_dict["cci"][0]
    BankAccountFactory.build(client=client, bank=Bank.BBVA, cci="01112300010001234556").full_clean()
    BankAccountFactory.build(client=client, bank=Bank.BCP, cci="").full_clean()


def test_account_number_and_cci_are_stored_as_digits(trader):
    account = BankAccountFactory.build(
        client=ClientFactory(owner=trader), number="191-1234567-0-12", cci="002 191 00123456701258"
    )
    account.full_clean()
    assert account.number == "1911234567012"
    assert account.cci == "00219100123456701258"


def _acc(currency, number="1911111111", active=True, bank=Bank.BCP):
    return BankAccount(bank=bank, account_type=AccountType.SAVINGS, currency=currency, number=number, is_active=active)


def test_account_set_rules():
    ok = [_acc(Currency.PEN, "111111"), _acc(Currency.USD, "222222")]
    assert account_set_errors(ok) == []
    assert account_set_errors(ok[:1]) == [
        "Un cliente necesita al menos 2 cuentas bancarias activas (tiene 1).",
        "Un cliente necesita al menos una cuenta activa en dólares (USD).",
    ]
    only_pen = [_acc(Currency.PEN, "111111"), _acc(Currency.PEN, "333333")]
    assert account_set_errors(only_pen) == ["Un cliente necesita al menos una cuenta activa en dólares (USD)."]
    seven = ok + [_acc(Currency.USD, f"{n}00000") for n in range(3, 8)]
    assert account_set_errors(seven) == ["Un cliente puede tener como máximo 6 cuentas bancarias activas (tiene 7)."]
    dup = ok + [_acc(Currency.PEN, "111-111")]
    assert account_set_errors(dup) == ["La cuenta BCP PEN ****1111 está repetida: mismo banco, tipo, moneda y número."]
    # Same number at another bank or in another currency is not a duplicate; inactive ones do not count.
    assert account_set_errors(ok + [_acc(Currency.USD, "111111"), _acc(Currency.PEN, "111111", bank=Bank.BBVA)]) == []
    assert account_set_errors(ok + [_acc(Currency.PEN, "111111", active=False)]) == []
    assert (
        account_set_errors([_acc(Currency.PEN, "111111"), _acc(Currency.USD, "2", active=False)], complete=False) == []
    )


def test_documents_needed_for_activation(trader):
    person = ClientFactory.build()
    company = CompanyFactory.build()
    assert document_errors(person, []) == [
        "Suba al menos un documento de identidad (anverso o reverso) antes de activar."
    ]
    assert document_errors(person, [DocumentKind.ID_BACK]) == []
    assert document_errors(company, [DocumentKind.REP_FRONT]) == ["Suba la Ficha RUC antes de activar una empresa."]
    assert document_errors(company, [DocumentKind.REP_FRONT, DocumentKind.FICHA_RUC]) == []


# --- Portfolio scoping and counts ---------------------------------------------------------------
def test_visible_to_is_the_portfolio_rule(trader, other_trader, operador, master):
    mine = ClientFactory(owner=trader)
    theirs = ClientFactory(owner=other_trader)
    assert list(Client.objects.visible_to(trader)) == [mine]
    assert set(Client.objects.visible_to(operador)) == {mine, theirs}
    assert set(Client.objects.visible_to(master)) == {mine, theirs}
    trader.is_active = False
    assert list(Client.objects.visible_to(trader)) == []


def test_operation_counts_are_subqueries(django_assert_num_queries, trader):
    from operations.models import OperationStatus
    from operations.tests.factories import OperationFactory

    client = active_client(owner=trader)
    OperationFactory(client=client)
    OperationFactory(client=client, status=OperationStatus.COMPLETED)
    other = active_client(owner=trader)
    with django_assert_num_queries(1):
        rows = {c.pk: c for c in Client.objects.with_operation_counts(completed=True)}
    assert (rows[client.pk].operation_count, rows[client.pk].completed_operation_count) == (2, 1)
    assert (rows[other.pk].operation_count, rows[other.pk].completed_operation_count) == (0, 0)


def test_without_an_operations_app_registered_the_counts_are_zero(monkeypatch, trader):
    from clients import hooks

    monkeypatch.setattr(hooks, "_client_operations", None)
    active_client(owner=trader)
    row = Client.objects.with_operation_counts(completed=True).get()
    assert (row.operation_count, row.completed_operation_count) == (0, 0)


def test_portfolio_owners_are_the_users_holding_clients(trader, other_trader, operador):
    ClientFactory(owner=trader)
    ClientFactory(owner=trader)
    ClientFactory(owner=other_trader)
    assert list(Client.objects.owners()) == sorted(
        [trader, other_trader], key=lambda u: (u.first_name, u.last_name, u.username)
    )
    assert list(Client.objects.visible_to(trader).owners()) == [trader]


def test_an_active_duplicate_account_is_refused_on_its_number(trader):
    account = BankAccountFactory(client=ClientFactory(owner=trader), number="19112345678012")
    twin = BankAccountFactory.build(
        client=account.client,
        bank=account.bank,
        account_type=account.account_type,
        currency=account.currency,
        number=account.number,
    )
    assert errors_of(twin) == {
        "number": ["Esta cuenta ya está registrada y activa para el cliente (mismo banco, tipo, moneda y número)."]
    }
    twin.is_active = False
    twin.full_clean()  # an inactive twin is history, not a duplicate


def test_client_and_account_refuse_arabic_indic_digits(trader):
    arabic = "".join(chr(0x0660 + int(d)) for d in "12345678")  # "12345678" in Arabic-Indic digits
    client = ClientFactory.build(owner=trader, created_by=trader, document_number=arabic)
    assert errors_of(client)["document_number"] == ["El DNI debe tener exactamente 8 dígitos."]
    account = BankAccountFactory.build(
        client=ClientFactory(owner=trader), number="19112345678012", cci=chr(0x0660) * 20, bank=Bank.BCP
    )
    assert set(errors_of(account)["cci"]) == {"El CCI debe tener exactamente 20 dígitos."}


# --- One message per mistake on account numbers -------------------------------------------------
NUMBER_MESSAGE = "El número de cuenta debe tener de 6 a 20 dígitos (se admiten guiones)."


@pytest.mark.parametrize("number", ["12ab", "123", "1234-5678-9012-3456-7890-12", ""])
def test_a_bad_account_number_gets_exactly_one_message(trader, number):
    account = BankAccountFactory.build(client=ClientFactory(owner=trader), number=number)
    assert errors_of(account)["number"] == [NUMBER_MESSAGE]


def test_a_bad_cci_gets_exactly_one_message(trader):
    client = ClientFactory(owner=trader)
    for cci in ("123", "0" * 25, "0011-0123-abc"):
        account = BankAccountFactory.build(client=client, number="19112345678012", cci=cci)
        assert errors_of(account) == {"cci": ["El CCI debe tener exactamente 20 dígitos."]}
    account = BankAccountFactory.build(client=client, number="19112345678012", cci="", bank=Bank.BBVA)
    assert errors_of(account) == {"cci": ["El CCI (20 dígitos) es obligatorio para BBVA."]}
    dashed = BankAccountFactory.build(client=client, number="191-12345678-0-12", cci="002-191-001234567012-58")
    dashed.full_clean()
    assert (dashed.number, dashed.cci) == ("19112345678012", "00219100123456701258")


def test_excluded_account_fields_are_not_checked_again(trader):
    # A form that already refused the number excludes it: the model must not add a second message.
    account = BankAccountFactory.build(client=ClientFactory(owner=trader), number="")
    account.full_clean(exclude=["number"])


# --- Reassignment history label -----------------------------------------------------------------
def test_reassignment_reads_as_a_sentence(trader, other_trader, master):
    from datetime import datetime

    from django.utils import timezone

    from clients.models import ClientReassignment

    trader.first_name, trader.last_name = "Tania", "Rojas"
    other_trader.first_name, other_trader.last_name = "Luis", "Paredes"
    move = ClientReassignment(
        client=ClientFactory(owner=other_trader), from_owner=trader, to_owner=other_trader, by=master
    )
    move.at = timezone.make_aware(datetime(2026, 11, 27, 17, 40))
    assert str(move) == "De Tania Rojas a Luis Paredes, 27/11/2026 17:40"
    other_trader.first_name = other_trader.last_name = ""
    move.at = None
    assert str(move) == f"De Tania Rojas a {other_trader.username}"
