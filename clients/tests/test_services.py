"""The use cases: registration, field-level edit rules, review, reassignment; audit and e-mails."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from clients import policy, services
from clients.audit_actions import ClientAction
from clients.models import (
    AccountType,
    Bank,
    BankAccount,
    Client,
    ClientDocument,
    ClientReassignment,
    ClientStatus,
    Currency,
    DocumentKind,
)
from clients.tests.factories import (
    PDF_BYTES,
    BankAccountFactory,
    ClientDocumentFactory,
    ClientFactory,
    CompanyFactory,
    active_client,
)
from qoricash.outbox.models import EmailStatus, OutboundEmail

pytestmark = pytest.mark.django_db


def new_accounts():
    return [
        BankAccount(bank=Bank.BCP, account_type=AccountType.SAVINGS, currency=Currency.PEN, number="19112345678012"),
        BankAccount(
            bank=Bank.BBVA,
            account_type=AccountType.CHECKING,
            currency=Currency.USD,
            number="001101230100012345",
            cci="01112300010001234556",
        ),
    ]


def new_document(kind=DocumentKind.ID_FRONT):
    doc = ClientDocument(kind=kind)
    doc.file = SimpleUploadedFile("dni.pdf", PDF_BYTES, content_type="application/pdf")
    return doc


def unsaved_client(**kwargs):
    return ClientFactory.build(**{"owner": None, "created_by": None, **kwargs})


def client_audit():
    return AuditEntry.objects.filter(object_type__startswith="clients.")


# --- Registration -------------------------------------------------------------------------------
def test_trader_registers_an_inactive_client_in_its_portfolio(trader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client = services.register_client(
            unsaved_client(), by=trader, accounts=new_accounts(), documents=[new_document()]
        )
    client.refresh_from_db()
    assert (client.status, client.owner, client.created_by) == (ClientStatus.INACTIVE, trader, trader)
    assert client.accounts.count() == 2
    assert client.documents.get().uploaded_by == trader
    entry = AuditEntry.objects.get(action=ClientAction.REGISTERED)
    assert entry.actor == trader and entry.object_id == str(client.pk)
    assert entry.changes["document_number"] == [None, client.document_number]
    assert AuditEntry.objects.filter(action=ClientAction.ACCOUNT_ADDED).count() == 2
    assert AuditEntry.objects.filter(action=ClientAction.DOCUMENT_UPLOADED).count() == 1
    assert len(mail.outbox) == 1


def test_holder_of_activate_permission_also_starts_inactive(operador):
    client = services.register_client(unsaved_client(status=ClientStatus.ACTIVE), by=operador, accounts=new_accounts())
    assert client.status == ClientStatus.INACTIVE


def test_registration_refuses_broken_account_rules_and_writes_nothing(trader):
    accounts = new_accounts()[:1]
    with pytest.raises(ValidationError) as exc:
        services.register_client(unsaved_client(), by=trader, accounts=accounts)
    assert "Un cliente necesita al menos 2 cuentas bancarias activas (tiene 1)." in exc.value.messages
    assert Client.objects.count() == 0 and client_audit().count() == 0


def test_registration_with_a_refused_file_writes_nothing(trader, settings, tmp_path):
    bad = ClientDocument(kind=DocumentKind.ID_FRONT)
    bad.file = SimpleUploadedFile("dni.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        services.register_client(unsaved_client(), by=trader, accounts=new_accounts(), documents=[bad])
    assert "Solo se aceptan archivos PDF, JPEG o PNG" in " ".join(exc.value.messages)
    assert Client.objects.count() == 0 and ClientDocument.objects.count() == 0
    media = tmp_path / "media"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_owner_choice_rules(trader, other_trader, operador, master):
    # A trader cannot put a client in someone else's portfolio.
    with pytest.raises(PermissionDenied):
        services.register_client(unsaved_client(owner=other_trader), by=trader)
    # An Operador may register for a trader, but not for someone who cannot hold a portfolio.
    client = services.register_client(unsaved_client(owner=trader), by=operador)
    assert client.owner == trader and client.created_by == operador
    with pytest.raises(ValidationError):
        services.register_client(unsaved_client(owner=master), by=operador)


def test_user_without_add_permission_cannot_register(db):
    nobody = UserFactory()
    with pytest.raises(PermissionDenied):
        services.register_client(unsaved_client(), by=nobody)


# --- Changes ------------------------------------------------------------------------------------
def test_trader_changes_contact_data_only(trader):
    client = ClientFactory(owner=trader, phones="987654321")
    services.update_client(client, {"email": "nuevo@correo.pe", "phones": "987654321; 912345678"}, by=trader)
    client.refresh_from_db()
    assert (client.email, client.phones) == ("nuevo@correo.pe", "987654321; 912345678")
    entry = AuditEntry.objects.get(action=ClientAction.CHANGED)
    assert entry.changes["phones"] == ["987654321", "987654321; 912345678"]
    with pytest.raises(PermissionDenied) as exc:
        services.update_client(client, {"nombres": "OTRO", "address": "X"}, by=trader)
    assert "nombres" in str(exc.value) and "dirección" in str(exc.value)
    client.refresh_from_db()
    assert client.nombres != "OTRO"


def test_unchanged_profile_values_sent_by_a_trader_are_not_a_violation(trader):
    client = ClientFactory(owner=trader)
    services.update_client(client, {"nombres": client.nombres, "phones": "912345678"}, by=trader)


def test_trader_editing_accounts_never_wipes_the_phone(trader):
    # The previous system's bug: a Trader saving bank accounts erased the phone.
    client = active_client(owner=trader, phones="987654321; 014445555")
    extra = BankAccount(
        bank=Bank.INTERBANK, account_type=AccountType.SAVINGS, currency=Currency.USD, number="2003001234567"
    )
    services.update_client(client, {}, by=trader, accounts=[extra])
    client.refresh_from_db()
    assert client.phones == "987654321; 014445555"
    assert client.accounts.count() == 3


def test_operador_edits_profile_but_never_the_document(operador, trader):
    client = ClientFactory(owner=trader)
    services.update_client(client, {"nombres": "Rosa Elena", "address": "Av. Larco 100"}, by=operador)
    client.refresh_from_db()
    assert (client.nombres, client.address) == ("ROSA ELENA", "AV. LARCO 100")
    for field, value in (("document_number", "87654321"), ("document_type", "CE")):
        with pytest.raises(ValidationError) as exc:
            services.update_client(client, {field: value}, by=operador)
        assert "no se pueden cambiar" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):
        services.update_client(client, {"owner": operador}, by=operador)


def test_another_traders_client_cannot_be_changed(trader, other_trader):
    client = ClientFactory(owner=other_trader)
    with pytest.raises(PermissionDenied):
        services.update_client(client, {"phones": "912345678"}, by=trader)


def test_accounts_are_deactivated_not_deleted_and_rules_hold_for_active_clients(trader):
    client = active_client(owner=trader)
    pen = client.accounts.get(currency=Currency.PEN)
    pen.is_active = False
    with pytest.raises(ValidationError) as exc:
        services.update_client(client, by=trader, accounts=[pen])
    assert "Un cliente necesita al menos una cuenta activa en soles (PEN)." in exc.value.messages
    # Replace it: deactivate the old one and add the right one in the same change.
    replacement = BankAccount(
        bank=Bank.BCP, account_type=AccountType.SAVINGS, currency=Currency.PEN, number="19199988877766"
    )
    services.update_client(client, by=trader, accounts=[pen, replacement])
    assert client.accounts.count() == 3
    assert client.accounts.filter(is_active=True).count() == 2
    assert AuditEntry.objects.filter(action=ClientAction.ACCOUNT_CHANGED).get().changes["is_active"] == [True, False]


def test_trader_cannot_rewrite_a_registered_account_number(trader, operador):
    client = active_client(owner=trader)
    account = client.accounts.first()
    account.number = "19100000000000"
    with pytest.raises(PermissionDenied):
        services.update_client(client, by=trader, accounts=[account])
    services.update_client(client, by=operador, accounts=[account])  # holder of view_full_accounts
    account.refresh_from_db()
    assert account.number == "19100000000000"


def test_duplicate_and_seventh_account_are_refused(trader):
    client = active_client(owner=trader)
    existing = client.accounts.first()
    dup = BankAccount(
        bank=existing.bank,
        account_type=existing.account_type,
        currency=existing.currency,
        number=existing.number,
    )
    with pytest.raises(ValidationError) as exc:
        services.add_bank_account(client, dup, by=trader)
    assert "repetida" in " ".join(exc.value.messages)
    for n in range(4):
        BankAccountFactory(client=client, currency=Currency.USD)
    with pytest.raises(ValidationError) as exc:
        services.add_bank_account(
            client,
            BankAccount(
                bank=Bank.BCP, account_type=AccountType.SAVINGS, currency=Currency.USD, number="19155555555555"
            ),
            by=trader,
        )
    assert "como máximo 6" in " ".join(exc.value.messages)


# --- Review -------------------------------------------------------------------------------------
def test_activation_needs_the_permission(trader):
    client = ClientFactory(owner=trader)
    with pytest.raises(PermissionDenied):
        services.activate_client(client, by=trader)


def test_activation_refused_while_rules_fail_then_succeeds(operador, trader, django_capture_on_commit_callbacks):
    client = ClientFactory(owner=trader)
    BankAccountFactory(client=client, currency=Currency.PEN)
    with pytest.raises(ValidationError) as exc:
        services.activate_client(client, by=operador)
    assert exc.value.messages == [
        "Un cliente necesita al menos 2 cuentas bancarias activas (tiene 1).",
        "Un cliente necesita al menos una cuenta activa en dólares (USD).",
        "Suba al menos un documento de identidad (anverso o reverso) antes de activar.",
    ]
    client.refresh_from_db()
    assert client.status == ClientStatus.INACTIVE
    BankAccountFactory(client=client, currency=Currency.USD)
    ClientDocumentFactory(client=client, kind=DocumentKind.ID_BACK)
    with django_capture_on_commit_callbacks(execute=True):
        services.activate_client(client, by=operador)
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
    assert client.status_changed_by == operador and client.status_changed_at is not None
    entry = AuditEntry.objects.get(action=ClientAction.ACTIVATED)
    assert entry.changes == {"status": ["inactive", "active"]} and entry.actor == operador
    assert [m.subject for m in mail.outbox] == ["Cuenta Activada - Bienvenido a QoriCash"]
    with pytest.raises(ValidationError):
        services.activate_client(client, by=operador)  # already active


def test_company_activation_needs_the_ficha_ruc(operador, trader):
    company = CompanyFactory(owner=trader)
    BankAccountFactory(client=company, currency=Currency.PEN)
    BankAccountFactory(client=company, currency=Currency.USD)
    ClientDocumentFactory(client=company, kind=DocumentKind.REP_FRONT)
    with pytest.raises(ValidationError) as exc:
        services.activate_client(company, by=operador)
    assert exc.value.messages == ["Suba la Ficha RUC antes de activar una empresa."]
    ClientDocumentFactory(client=company, kind=DocumentKind.FICHA_RUC)
    assert services.activate_client(company, by=operador).is_active


def test_deactivation(operador, trader):
    client = active_client(owner=trader)
    services.deactivate_client(client, by=operador, reason="Documento vencido")
    client.refresh_from_db()
    assert client.status == ClientStatus.INACTIVE and client.status_changed_by == operador
    assert AuditEntry.objects.get(action=ClientAction.DEACTIVATED).message == "Documento vencido"
    with pytest.raises(ValidationError):
        services.deactivate_client(client, by=operador)
    with pytest.raises(PermissionDenied):
        services.deactivate_client(active_client(owner=trader), by=trader)


def test_mail_failure_is_logged_and_never_breaks_activation(
    operador, trader, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def boom(*args, **kwargs):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", boom)
    client = ClientFactory(owner=trader)
    BankAccountFactory(client=client, currency=Currency.PEN)
    BankAccountFactory(client=client, currency=Currency.USD)
    ClientDocumentFactory(client=client)
    with django_capture_on_commit_callbacks(execute=True):
        services.activate_client(client, by=operador)
    client.refresh_from_db()
    assert client.is_active
    message = OutboundEmail.objects.get(kind="client.activated")
    assert message.status == EmailStatus.PENDING and "SMTP down" in message.last_error  # kept for a retry


# --- Portfolios ---------------------------------------------------------------------------------
def test_reassignment_keeps_history_with_the_previous_owner(master, trader, other_trader):
    a = ClientFactory(owner=trader)
    b = ClientFactory(owner=other_trader)
    c = ClientFactory(owner=other_trader)
    moved = services.reassign_clients([a, b.pk, c], other_trader, by=master)
    assert len(moved) == 1  # b and c already belonged to other_trader
    history = ClientReassignment.objects.get()
    assert (history.client, history.from_owner, history.to_owner, history.by) == (a, trader, other_trader, master)
    a.refresh_from_db()
    assert a.owner == other_trader
    entry = AuditEntry.objects.get(action=ClientAction.REASSIGNED)
    assert entry.changes["owner"] == [str(trader), str(other_trader)]
    assert entry.message == f"De {trader.username} a {other_trader.username}"


def test_reassignment_targets_must_be_active_portfolio_holders(master, trader, operador):
    client = ClientFactory(owner=trader)
    inactive = UserFactory(role="Trader", is_active=False)
    for target in (operador, master, inactive):
        with pytest.raises(ValidationError):
            services.reassign_clients([client], target, by=master)
    assert set(policy.owner_candidates()) == {trader, client.owner}


def test_only_holders_of_the_permission_reassign(trader, other_trader, operador):
    client = ClientFactory(owner=trader)
    for user in (trader, operador):
        with pytest.raises(PermissionDenied):
            services.reassign_clients([client], other_trader, by=user)
    assert ClientReassignment.objects.count() == 0


def test_whole_portfolio(master, trader, other_trader):
    clients = [ClientFactory(owner=trader) for _ in range(3)]
    ClientFactory(owner=master)
    moved = services.reassign_portfolio(trader, other_trader, by=master)
    assert {r.client for r in moved} == set(clients)
    assert Client.objects.filter(owner=other_trader).count() == 3
    assert all(r.from_owner == trader and r.by == master for r in moved)
    with pytest.raises(ValidationError):
        services.reassign_portfolio(trader, other_trader, by=master)  # nothing left


# --- Races: two people saving the same document or account at once ------------------------------
def someone_else_saves_first(monkeypatch, make_twin, model):
    """After the service's full_clean passes for a `model` instance, its twin is saved: the race window."""
    real = model.full_clean
    racing = []

    def clean_then_race(instance, *args, **kwargs):
        real(instance, *args, **kwargs)
        if instance.pk is None and not racing:
            racing.append(instance)
            try:
                make_twin(instance)
            finally:
                racing.pop()

    monkeypatch.setattr(model, "full_clean", clean_then_race)


def test_registration_race_on_the_document_is_a_spanish_error_not_a_500(monkeypatch, trader, other_trader):
    someone_else_saves_first(
        monkeypatch,
        lambda c: ClientFactory(owner=other_trader, document_type=c.document_type, document_number=c.document_number),
        Client,
    )
    client = unsaved_client(document_number="45123456")
    with pytest.raises(ValidationError) as exc:
        services.register_client(client, by=trader, accounts=new_accounts())
    assert exc.value.message_dict == {"document_number": ["Ya existe un cliente con DNI 45123456."]}
    assert client_audit().count() == 0 and BankAccount.objects.count() == 0


def test_registration_race_on_an_account_is_a_spanish_error(monkeypatch, trader):
    def twin(account):
        if account.currency == Currency.USD:  # the second account of the form
            BankAccountFactory(
                client=account.client,
                bank=account.bank,
                account_type=account.account_type,
                currency=account.currency,
                number=account.number,
            )

    someone_else_saves_first(monkeypatch, twin, BankAccount)
    with pytest.raises(ValidationError) as exc:
        services.register_client(unsaved_client(), by=trader, accounts=new_accounts())
    assert exc.value.message_dict == {
        "number": [
            "Esta cuenta ya está registrada y activa para el cliente (mismo banco, tipo, moneda y número).",
        ]
    }
    assert Client.objects.count() == 0 and client_audit().count() == 0


def test_account_race_on_an_existing_client_is_a_spanish_error(monkeypatch, trader):
    client = active_client(owner=trader)
    someone_else_saves_first(
        monkeypatch,
        lambda a: BankAccountFactory(
            client=client, bank=a.bank, account_type=a.account_type, currency=a.currency, number=a.number
        ),
        BankAccount,
    )
    account = BankAccount(
        bank=Bank.INTERBANK, account_type=AccountType.SAVINGS, currency=Currency.USD, number="2003001234567"
    )
    with pytest.raises(ValidationError) as exc:
        services.add_bank_account(client, account, by=trader)
    assert "ya está registrada y activa" in " ".join(exc.value.messages)
    assert not AuditEntry.objects.filter(action=ClientAction.ACCOUNT_ADDED).exists()


def test_other_integrity_errors_are_not_disguised_as_duplicates(monkeypatch, trader):
    from django.db import IntegrityError

    def broken_save(self, *args, **kwargs):
        raise IntegrityError("NOT NULL constraint failed: clients_client.something")

    monkeypatch.setattr(Client, "save", broken_save)
    with pytest.raises(IntegrityError):
        services.register_client(unsaved_client(), by=trader, accounts=new_accounts())


@pytest.mark.django_db(transaction=True)
def test_real_concurrent_registration_on_postgresql(monkeypatch, trader, other_trader):
    """Another connection commits the same document between our check and our insert."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("two real connections need PostgreSQL")

    def other_connection_registers(c):
        def run():
            try:
                ClientFactory(owner=other_trader, document_type=c.document_type, document_number=c.document_number)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()

    someone_else_saves_first(monkeypatch, other_connection_registers, Client)
    with pytest.raises(ValidationError) as exc:
        services.register_client(unsaved_client(document_number="45123457"), by=trader, accounts=new_accounts())
    assert exc.value.messages == ["Ya existe un cliente con DNI 45123457."]
    assert Client.objects.get().owner == other_trader  # the first one won; ours left nothing behind
    assert not AuditEntry.objects.filter(action=ClientAction.REGISTERED).exists()


# --- ClientImport: a file's new clients checked one by one, saved together ----------------------
def new_person(number, **fields):
    values = {"apellido_paterno": "Quispe", "apellido_materno": "Mamani", "nombres": "Rosa"}
    return Client(document_type="DNI", document_number=number, **{"email": f"{number}@correo.pe", **values, **fields})


def test_client_import_checks_each_row_like_import_client_and_saves_them_together(master, trader, operador):
    registered = ClientFactory(document_number="41000001")
    batch = services.ClientImport(by=master, documents=[("DNI", "41000001"), ("DNI", "41000002")])
    with pytest.raises(ValidationError) as taken:
        batch.add(new_person("41000001"))
    assert taken.value.message_dict == {"document_number": ["Ya existe un cliente con DNI 41000001."]}
    with pytest.raises(ValidationError) as owner:
        batch.add(new_person("41000003", owner=operador, email="no-es-correo"))
    assert set(owner.value.message_dict) == {"owner", "email"}  # every problem of the row at once
    with pytest.raises(ValidationError) as accounts:
        batch.add(new_person("41000004"), new_accounts()[:1])
    assert "dólares (USD)" in str(accounts.value)
    batch.add(new_person("41000002", owner=trader), new_accounts())
    batch.add(new_person("41000005"))  # not in `documents`: checked on its own
    with pytest.raises(ValidationError) as repeated:
        batch.add(new_person("41000005"))
    assert repeated.value.message_dict == {"document_number": ["Ya existe un cliente con DNI 41000005."]}

    saved = batch.save()
    assert [c.document_number for c in saved] == ["41000002", "41000005"]
    first = Client.objects.get(document_number="41000002")
    assert (first.owner, first.created_by, first.status) == (trader, master, ClientStatus.INACTIVE)
    assert first.search_text.startswith("41000002 QUISPE MAMANI ROSA")
    assert first.accounts.count() == 2 and Client.objects.get(document_number="41000005").owner == master
    assert Client.objects.count() == 3 and registered.pk != first.pk
    assert AuditEntry.objects.filter(action=ClientAction.IMPORTED).count() == 2
    assert batch.save() == []  # saved once


def test_client_import_names_a_document_registered_since_its_row_was_checked(master):
    batch = services.ClientImport(by=master, documents=[("DNI", "41000006"), ("DNI", "41000007")])
    batch.add(new_person("41000006"))
    batch.add(new_person("41000007"))
    ClientFactory(document_number="41000007")  # another user, between the check and the save
    with pytest.raises(ValidationError) as refused:
        batch.save()
    assert refused.value.messages == ["Ya existe un cliente con DNI 41000007."]
    assert not Client.objects.filter(document_number="41000006").exists()
    assert not AuditEntry.objects.filter(action=ClientAction.IMPORTED).exists()


def test_client_import_needs_the_registration_permission():
    with pytest.raises(PermissionDenied):
        services.ClientImport(by=UserFactory(is_staff=True))
