from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from clients.models import ClientStatus, Currency
from clients.tests.factories import BankAccountFactory, ClientFactory, active_client
from operations import policy, services
from operations.models import (
    CodeCounter,
    Deposit,
    EventAction,
    ExchangeRate,
    Operation,
    OperationStatus,
    OperationType,
    Payout,
    operators,
)
from operations.services import creation
from operations.tests.conftest import REFUSED, accounts_for, field_of, pdf, png, text_of
from operations.tests.factories import ExchangeRateFactory, HouseBankAccountFactory, OperationFactory
from operations.transitions import TRANSITIONS, allowed_transitions
from qoricash.outbox.models import EmailStatus, OutboundEmail

BUY, SELL = OperationType.BUY, OperationType.SELL
pytestmark = pytest.mark.django_db


def events(op):
    return list(op.events.values_list("action", flat=True))


# --- Rates -------------------------------------------------------------------------------------------------


class TestPublishRate:
    def test_master_publishes_and_it_is_audited(self, master):
        rate = services.publish_rate(by=master, base="3.7200", buy="3.7000", sell="3.7500")
        assert ExchangeRate.objects.current() == rate and rate.set_by == master
        assert AuditEntry.objects.filter(action="exchangerate.create", object_id=str(rate.pk)).exists()

    @pytest.mark.parametrize(
        "base, buy, sell, fragment",
        [
            ("3.72", "3.76", "3.75", "compra ≤ base ≤ venta"),
            ("3.72", "2.4999", "3.75", "entre 2.5000 y 5.0000"),
            ("3.72", "3.70", "5.0001", "entre 2.5000 y 5.0000"),
            ("3.72", "3.70", "3.75001", "4 decimales"),
            ("abc", "3.70", "3.75", "no es un número válido"),
        ],
    )
    def test_refusals(self, master, base, buy, sell, fragment):
        with pytest.raises(REFUSED) as exc:
            services.publish_rate(by=master, base=base, buy=buy, sell=sell)
        assert fragment in text_of(exc.value)
        assert not ExchangeRate.objects.exists()

    def test_trader_cannot_publish(self, trader):
        with pytest.raises(REFUSED):
            services.publish_rate(by=trader, base="3.72", buy="3.70", sell="3.75")

    def test_no_back_dating_before_latest(self, master):
        from datetime import timedelta

        from django.utils import timezone

        services.publish_rate(by=master, base="3.72", buy="3.70", sell="3.75")
        with pytest.raises(REFUSED) as exc:
            services.publish_rate(
                by=master,
                base="3.72",
                buy="3.70",
                sell="3.75",
                effective_at=timezone.now() - timedelta(hours=1),
            )
        assert "no puede ser anterior" in text_of(exc.value)


# --- Creation ------------------------------------------------------------------------------------------------


class TestCreate:
    def test_compra_defaults_to_buy_rate_and_snapshots(self, make_operation, rate, trader, client_of_trader):
        op = make_operation(BUY, "1000.00")
        assert op.code == "EXP-1001"
        assert op.rate == rate.buy and op.base_rate == rate.base
        assert op.amount_pen == Decimal("3700.00") and op.profit_pen == Decimal("20.00")
        assert op.status == OperationStatus.PENDING and op.created_by == trader and op.trader == trader
        usd = client_of_trader.accounts.get(currency=Currency.USD)
        assert op.source_account == usd and op.source_snapshot.endswith(usd.number)
        assert op.source_snapshot.startswith("BCP USD")
        assert events(op) == [EventAction.CREATED]
        assert AuditEntry.objects.filter(action="operation.create", object_id=str(op.pk)).exists()

    def test_venta_defaults_to_sell_rate(self, make_operation, rate):
        op = make_operation(SELL, "100.00")
        assert op.rate == rate.sell and op.amount_pen == Decimal("375.00") and op.profit_pen == Decimal("3.00")
        assert op.source_account.currency == Currency.PEN and op.destination_account.currency == Currency.USD

    def test_codes_are_sequential(self, make_operation):
        codes = [make_operation().code for _ in range(3)]
        assert codes == ["EXP-1001", "EXP-1002", "EXP-1003"]

    def test_counter_continues_after_existing_codes(self, make_operation):
        OperationFactory(code="EXP-2050")
        assert make_operation().code == "EXP-2051"

    def test_existing_code_is_skipped(self, make_operation):
        CodeCounter.objects.create(name="operation", last_value=1000)
        OperationFactory(code="EXP-1001")
        assert make_operation().code == "EXP-1002"

    def test_negotiated_rate_within_bounds(self, make_operation):
        op = make_operation(SELL, "10.00", rate_value="3.7444")
        assert op.rate == Decimal("3.7444") and op.amount_pen == Decimal("37.44")

    @pytest.mark.parametrize("value", ["2.4999", "5.0001", "0", "-3.7"])
    def test_rate_out_of_bounds(self, make_operation, value):
        with pytest.raises(REFUSED) as exc:
            make_operation(SELL, "10.00", rate_value=value)
        assert field_of(exc.value) == "rate"
        assert not Operation.objects.exists()

    @pytest.mark.parametrize(
        "amount, field_msg",
        [
            ("0", "mayor que cero"),
            ("-5", "mayor que cero"),
            ("10.001", "2 decimales"),
            ("500000.01", "no puede superar"),
            ("", "obligatorio"),
            ("diez", "no es un número válido"),
        ],
    )
    def test_amount_checks(self, make_operation, amount, field_msg):
        with pytest.raises(REFUSED) as exc:
            make_operation(BUY, amount)
        assert field_msg in text_of(exc.value) and field_of(exc.value) == "amount_usd"

    def test_maximum_is_configurable_and_inclusive(self, make_operation, settings):
        settings.OPERATION_MAX_USD = "2000.00"
        assert make_operation(BUY, "2000.00").amount_usd == Decimal("2000.00")
        with pytest.raises(REFUSED):
            make_operation(BUY, "2000.01")

    def test_no_published_rate(self, trader, client_of_trader):
        usd, pen = accounts_for(client_of_trader, BUY)
        with pytest.raises(REFUSED) as exc:
            services.create_operation(
                by=trader,
                client=client_of_trader,
                type=BUY,
                amount_usd="10",
                source_account=usd,
                destination_account=pen,
            )
        assert "tipo de cambio" in text_of(exc.value)

    def test_inactive_client_refused(self, make_operation, trader):
        client = ClientFactory(owner=trader, status=ClientStatus.INACTIVE)
        BankAccountFactory(client=client, currency=Currency.USD)
        BankAccountFactory(client=client, currency=Currency.PEN)
        with pytest.raises(REFUSED) as exc:
            make_operation(client=client)
        assert field_of(exc.value) == "client" and "no está Activo" in text_of(exc.value)

    def test_client_or_account_deactivated_after_the_form_check_is_refused(self, rate, trader, client_of_trader):
        """The admin validates with prepare_operation, then saves with create_operation: in between the
        client or an account may be deactivated. The instances the form holds still say "active"."""
        from clients.models import BankAccount, Client

        usd, pen = accounts_for(client_of_trader, BUY)
        base = {"client": client_of_trader, "type": BUY, "amount_usd": "10"}
        services.prepare_operation(by=trader, source_account=usd, destination_account=pen, **base)  # the form's check
        BankAccount.objects.filter(pk=pen.pk).update(is_active=False)
        assert pen.is_active  # stale
        with pytest.raises(REFUSED) as exc:
            services.create_operation(by=trader, source_account=usd, destination_account=pen, **base)
        assert field_of(exc.value) == "destination_account" and "no está activa" in text_of(exc.value)
        BankAccount.objects.filter(pk=pen.pk).update(is_active=True)
        Client.objects.filter(pk=client_of_trader.pk).update(status=ClientStatus.INACTIVE)
        assert client_of_trader.is_active  # stale
        with pytest.raises(REFUSED) as exc:
            services.create_operation(by=trader, source_account=usd, destination_account=pen, **base)
        assert field_of(exc.value) == "client" and "no está Activo" in text_of(exc.value)
        assert not Operation.objects.exists()

    def test_create_locks_the_client_row_before_checking(self, rate, trader, client_of_trader, monkeypatch):
        from django.db.models.query import QuerySet

        from clients.models import Client

        calls = []
        original_lock, original_prepare = QuerySet.select_for_update, creation.prepare_operation

        def spy_lock(qs, *args, **kwargs):
            calls.append(("lock", qs.model))
            return original_lock(qs, *args, **kwargs)

        def spy_prepare(*args, **kwargs):
            calls.append(("check", None))
            return original_prepare(*args, **kwargs)

        monkeypatch.setattr(QuerySet, "select_for_update", spy_lock)
        monkeypatch.setattr(creation, "prepare_operation", spy_prepare)
        usd, pen = accounts_for(client_of_trader, BUY)
        services.create_operation(
            by=trader,
            client=client_of_trader,
            type=BUY,
            amount_usd="10",
            source_account=usd,
            destination_account=pen,
        )
        assert calls.index(("lock", Client)) < calls.index(("check", None))

    def test_other_traders_client_refused(self, make_operation, trader, other_trader):
        with pytest.raises(REFUSED) as exc:
            make_operation(client=active_client(owner=other_trader), user=trader)
        assert field_of(exc.value) == "client"

    def test_master_creates_for_any_client_trader_is_owner(self, make_operation, master, other_trader):
        op = make_operation(client=active_client(owner=other_trader), user=master)
        assert op.created_by == master and op.trader == other_trader

    def test_operador_cannot_create(self, make_operation, operador):
        with pytest.raises(REFUSED):
            make_operation(user=operador)

    def test_accounts_must_match_client_and_currency(self, rate, trader, client_of_trader, other_trader):
        usd, pen = accounts_for(client_of_trader, BUY)
        base = {"client": client_of_trader, "type": BUY, "amount_usd": "10"}
        with pytest.raises(REFUSED) as exc:  # swapped currencies
            services.create_operation(by=trader, source_account=pen, destination_account=usd, **base)
        assert field_of(exc.value) == "source_account" and "USD" in text_of(exc.value)
        foreign = active_client(owner=other_trader).accounts.get(currency=Currency.PEN)
        with pytest.raises(REFUSED) as exc:
            services.create_operation(by=trader, source_account=usd, destination_account=foreign, **base)
        assert field_of(exc.value) == "destination_account" and "no pertenece" in text_of(exc.value)
        pen.is_active = False
        pen.save()
        with pytest.raises(REFUSED) as exc:
            services.create_operation(by=trader, source_account=usd, destination_account=pen, **base)
        assert "no está activa" in text_of(exc.value)
        assert not Operation.objects.exists()

    @pytest.mark.parametrize("value", ["²", "①", "-3", "", None])
    def test_ids_that_are_not_ascii_numbers_are_refused_in_spanish(self, rate, trader, client_of_trader, value):
        usd, pen = accounts_for(client_of_trader, BUY)
        base = {"type": BUY, "amount_usd": "10"}
        with pytest.raises(REFUSED) as exc:
            services.create_operation(by=trader, client=value, source_account=usd, destination_account=pen, **base)
        assert field_of(exc.value) == "client"
        with pytest.raises(REFUSED) as exc:
            services.create_operation(
                by=trader,
                client=str(client_of_trader.pk),
                source_account=value,
                destination_account=pen,
                **base,
            )
        assert field_of(exc.value) == "source_account"
        assert not Operation.objects.exists()

    def test_parse_id(self):
        assert services.parse_id("12") == 12 and services.parse_id(7) == 7
        for value in ("²", "1²", "٣", "0", "-1", " 1", "1.5", "9" * 19, None, True, 0, -4, 1.5):
            assert services.parse_id(value) is None, value

    def test_new_operation_email(self, make_operation, django_capture_on_commit_callbacks, houses, trader):
        HouseBankAccountFactory(currency=Currency.USD, is_active=False, number="99999999999")
        with django_capture_on_commit_callbacks(execute=True):
            op = make_operation(BUY, "1000.00")
        assert len(mail.outbox) == 1
        msg = mail.outbox[0]
        assert msg.subject == f"Nueva operación #{op.code} - QoriCash Trading"
        assert msg.to == [op.client.email] and trader.email in msg.cc
        body = msg.body
        assert houses[Currency.USD].number in body  # the house account to transfer to, in full
        assert houses[Currency.PEN].number not in body  # only the currency the client sends
        assert "99999999999" not in body  # inactive house accounts are not offered
        assert op.source_account.number not in body and op.source_account.number[-4:] in body  # masked
        assert "US$ 1,000.00" in body and "3.7000" in body
        html = msg.alternatives[0][0]
        assert houses[Currency.USD].number in html and op.destination_account.number not in html

    def test_email_failure_is_logged_not_raised(
        self, make_operation, django_capture_on_commit_callbacks, monkeypatch, caplog
    ):
        def boom(*a, **k):
            raise ConnectionRefusedError("smtp down")

        monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", boom)
        with django_capture_on_commit_callbacks(execute=True):
            op = make_operation()
        assert Operation.objects.filter(pk=op.pk).exists()
        message = OutboundEmail.objects.get(related_id=str(op.pk))
        assert message.status == EmailStatus.PENDING and "smtp down" in message.last_error  # retried later
        assert "smtp down" in caplog.text

    def test_no_email_when_the_transaction_rolls_back(self, make_operation, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(REFUSED):
            make_operation(BUY, "0")
        assert callbacks == [] and mail.outbox == []


# --- Amount and notes -------------------------------------------------------------------------------------


class TestUpdateAmount:
    def test_pending_recomputes_and_records_old_and_new(self, make_operation, trader):
        op = make_operation(SELL, "100.00")
        op = services.update_amount(op, by=trader, amount_usd="200.50")
        assert op.amount_usd == Decimal("200.50") and op.amount_pen == Decimal("751.88")
        ev = op.events.get(action=EventAction.AMOUNT_CHANGED)
        assert ev.data["amount_usd"] == ["100.00", "200.50"]
        assert ev.data["amount_pen"] == ["375.00", "751.88"]
        assert ev.by == trader
        assert AuditEntry.objects.filter(action="operation.update_amount").count() == 1

    def test_same_amount_is_a_no_op(self, make_operation, trader):
        op = make_operation()
        services.update_amount(op, by=trader, amount_usd="1000")
        assert events(op) == [EventAction.CREATED]

    def test_refused_for_other_trader_operador_and_after_pending(
        self, in_process_op, make_operation, trader, other_trader, operador
    ):
        op = make_operation()
        for user in (other_trader, operador):
            with pytest.raises(REFUSED):
                services.update_amount(op, by=user, amount_usd="5")
        with pytest.raises(REFUSED) as exc:
            services.update_amount(in_process_op, by=trader, amount_usd="5")
        assert "Pendiente" in text_of(exc.value)
        op.refresh_from_db()
        assert op.amount_usd == Decimal("1000.00")

    def test_master_may_edit(self, make_operation, master):
        assert services.update_amount(make_operation(), by=master, amount_usd="7").amount_usd == Decimal("7.00")

    def test_notes(self, make_operation, trader, other_trader):
        op = make_operation()
        services.update_notes(op, by=trader, notes="Cliente llamará a las 3")
        assert op.events.filter(action=EventAction.NOTES_CHANGED).exists()
        with pytest.raises(REFUSED):
            services.update_notes(op, by=other_trader, notes="x")


# --- Deposits and payouts ----------------------------------------------------------------------------------


def break_storage(monkeypatch):
    from django.core.files.storage import FileSystemStorage

    def fail(self, name, content):
        raise OSError("storage down")

    monkeypatch.setattr(FileSystemStorage, "_save", fail)


class TestStorageFailure:
    """store_private_files raises a Spanish ValidationError; the services turn it into OperationError."""

    def test_deposit_add_and_update(self, make_operation, fund, trader, monkeypatch):
        op = make_operation()
        kept = fund(trader, op, amount="10.00")
        break_storage(monkeypatch)
        with pytest.raises(REFUSED) as exc:
            fund(trader, op)
        assert field_of(exc.value) == "file" and "No se pudo guardar el archivo" in text_of(exc.value)
        with pytest.raises(REFUSED) as exc:
            services.update_movement(kept, by=trader, file=png())
        assert field_of(exc.value) == "file"
        assert list(op.deposits.all()) == [kept]
        assert events(op) == ["created", "deposit_added"]

    def test_payout_add_and_update(self, in_process_op, pay, operador, monkeypatch):
        kept = pay(operador, in_process_op, amount="1.00")
        break_storage(monkeypatch)
        with pytest.raises(REFUSED) as exc:
            pay(operador, in_process_op)
        assert field_of(exc.value) == "file" and "No se pudo guardar el archivo" in text_of(exc.value)
        with pytest.raises(REFUSED) as exc:
            services.update_movement(kept, by=operador, file=pdf())
        assert field_of(exc.value) == "file"
        assert list(in_process_op.payouts.all()) == [kept]
        assert events(in_process_op)[-1] == "payout_added"


class TestDeposits:
    def test_add_update_void(self, make_operation, trader, houses):
        op = make_operation()
        usd = op.client.accounts.get(currency=Currency.USD)
        d = services.add_movement(
            op,
            Deposit,
            by=trader,
            amount="400",
            client_account=usd,
            house_account=houses["USD"],
            bank_reference="123",
            file=pdf(),
        )
        assert d.size > 0 and len(d.sha256) == 64 and d.content_type == "application/pdf"
        assert d.original_name == "voucher.pdf"
        services.update_movement(d, by=trader, amount="450.00")
        d.refresh_from_db()
        assert d.amount == Decimal("450.00")
        services.void_movement(d, by=trader, reason="Monto equivocado")
        d.refresh_from_db()  # never deleted: the row, its voucher and its facts stay
        assert d.is_voided and d.voided_by == trader and d.void_reason == "Monto equivocado"
        assert d.file and d.sha256 and op.deposits.get() == d
        assert op.deposits_total == Decimal("0")
        assert events(op) == ["created", "deposit_added", "deposit_changed", "deposit_voided"]
        voided = op.events.get(action="deposit_voided")
        assert voided.data["amount"] == "450.00" and voided.data["sha256"] == d.sha256
        assert voided.reason == "Monto equivocado" and voided.by == trader
        entry = AuditEntry.objects.get(action="operation.deposit_void")
        assert entry.actor == trader and entry.message == f"deposit {d.pk}"
        assert entry.changes["void_reason"] == [None, "Monto equivocado"]

    def test_wrong_currency_or_client_or_house(self, make_operation, trader, houses, other_trader):
        op = make_operation(BUY)
        pen = op.client.accounts.get(currency=Currency.PEN)
        usd = op.client.accounts.get(currency=Currency.USD)
        with pytest.raises(REFUSED) as exc:
            services.add_movement(
                op,
                Deposit,
                by=trader,
                amount="1",
                client_account=pen,
                house_account=houses["USD"],
                bank_reference="1",
            )
        assert field_of(exc.value) == "client_account"
        with pytest.raises(REFUSED) as exc:
            services.add_movement(
                op,
                Deposit,
                by=trader,
                amount="1",
                client_account=usd,
                house_account=houses["PEN"],
                bank_reference="1",
            )
        assert field_of(exc.value) == "house_account"
        foreign = active_client(owner=other_trader).accounts.get(currency=Currency.USD)
        with pytest.raises(REFUSED):
            services.add_movement(
                op, Deposit, by=trader, amount="1", client_account=foreign, house_account=houses["USD"]
            )
        houses["USD"].is_active = False
        houses["USD"].save()
        with pytest.raises(REFUSED):
            services.add_movement(op, Deposit, by=trader, amount="1", client_account=usd, house_account=houses["USD"])
        assert not op.deposits.exists()

    def test_bad_voucher_refused(self, make_operation, trader, houses):
        op = make_operation()
        usd = op.client.accounts.get(currency=Currency.USD)
        exe = SimpleUploadedFile("voucher.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
        with pytest.raises(REFUSED) as exc:
            services.add_movement(
                op, Deposit, by=trader, amount="1", client_account=usd, house_account=houses["USD"], file=exe
            )
        assert field_of(exc.value) == "file" and "PDF" in text_of(exc.value)

    def test_only_creator_trader_or_master_and_only_pending(
        self, make_operation, in_process_op, fund, trader, other_trader, operador, master
    ):
        op = make_operation()
        for user in (other_trader, operador):
            with pytest.raises(REFUSED):
                fund(user, op)
        fund(master, op, amount="1.00")
        with pytest.raises(REFUSED) as exc:
            fund(trader, in_process_op)
        assert "Pendiente" in text_of(exc.value)


class TestPayouts:
    def test_only_assigned_operator_or_master_while_in_process(
        self, in_process_op, make_operation, pay, trader, operador, master
    ):
        other_operator = UserFactory(role="Operador")
        for user in (trader, other_operator):
            with pytest.raises(REFUSED):
                pay(user, in_process_op, amount="1")
        pay(operador, in_process_op, amount="1")
        pay(master, in_process_op, amount="1")
        with pytest.raises(REFUSED) as exc:
            pay(master, make_operation(), amount="1")
        assert "En proceso" in text_of(exc.value)

    def test_at_most_four(self, in_process_op, pay, operador):
        for _ in range(Payout.max_per_operation):
            pay(operador, in_process_op, amount="1")
        with pytest.raises(REFUSED) as exc:
            pay(operador, in_process_op, amount="1")
        assert "como máximo 4" in text_of(exc.value)
        assert in_process_op.payouts.count() == 4

    def test_payout_currency(self, in_process_op, operador, houses):
        usd = in_process_op.client.accounts.get(currency=Currency.USD)  # a Compra pays PEN
        with pytest.raises(REFUSED):
            services.add_movement(
                in_process_op,
                Payout,
                by=operador,
                amount="1",
                client_account=usd,
                house_account=houses["PEN"],
                file=png(),
            )

    def test_update_and_void(self, in_process_op, pay, operador):
        p = pay(operador, in_process_op, amount="10")
        services.update_movement(p, by=operador, amount="11", file=png("new.png"))
        p.refresh_from_db()
        assert p.amount == Decimal("11.00") and p.original_name == "new.png"
        services.void_movement(p, by=operador, reason="Cuenta equivocada")
        p.refresh_from_db()
        assert p.is_voided and p.voided_by == operador and in_process_op.payouts.get() == p
        assert in_process_op.payouts_total == Decimal("0")
        assert in_process_op.events.get(action="payout_voided").reason == "Cuenta equivocada"
        assert AuditEntry.objects.filter(action="operation.payout_void", object_id=str(in_process_op.pk)).exists()


class TestVoiding:
    """Deposits and payouts are never deleted: voided rows stay, and stop counting everywhere."""

    def test_reason_required_and_voided_rows_are_final(self, make_operation, fund, trader):
        op = make_operation()
        d = fund(trader, op)
        with pytest.raises(REFUSED) as exc:
            services.void_movement(d, by=trader, reason="  ")
        assert field_of(exc.value) == "reason" and not Deposit.objects.voided().exists()
        services.void_movement(d, by=trader, reason="Duplicado")
        for action in (
            lambda: services.void_movement(d, by=trader, reason="otra vez"),
            lambda: services.update_movement(d, by=trader, amount="1.00"),
        ):
            with pytest.raises(REFUSED) as exc:
                action()
            assert "fue anulado" in text_of(exc.value)
        assert events(op).count("deposit_voided") == 1

    def test_same_rules_as_registering(self, make_operation, in_process_op, fund, pay, trader, other_trader, operador):
        op = make_operation()
        d = fund(trader, op)
        for user in (other_trader, operador):
            with pytest.raises(REFUSED):
                services.void_movement(d, by=user, reason="x")
        deposit_in_process = in_process_op.deposits.get()
        with pytest.raises(REFUSED) as exc:
            services.void_movement(deposit_in_process, by=trader, reason="x")
        assert "Pendiente" in text_of(exc.value)
        p = pay(operador, in_process_op, amount="1")
        for user in (trader, UserFactory(role="Operador")):
            with pytest.raises(REFUSED):
                services.void_movement(p, by=user, reason="x")
        assert not Deposit.objects.voided().exists() and not Payout.objects.voided().exists()

    def test_voided_deposits_do_not_count_to_send_to_process(self, make_operation, fund, trader):
        op = make_operation()  # the client sends US$ 1,000.00
        wrong = fund(trader, op, amount="1000.00", file=False, reference="")  # no voucher nor reference
        problem = services.deposit_problem(op)
        assert "abono 1 " in problem.message
        services.void_movement(wrong, by=trader, reason="Sin comprobante")
        assert "Registre los abonos" in services.deposit_problem(op).message  # none that counts
        fund(trader, op, amount="400.00")
        fund(trader, op, amount="600.00", file=False, reference="")
        assert "abono 3 " in services.deposit_problem(op).message  # numbered as listed, voided one included
        extra = op.deposits.order_by("id").last()
        services.void_movement(extra, by=trader, reason="Sin comprobante")
        assert "suman US$ 400.00" in services.deposit_problem(op).message
        fund(trader, op, amount="600.00")
        assert services.deposit_problem(op) is None
        sent = services.send_to_process(op, by=trader)
        assert sent.events.get(action="sent_to_process").data["deposits_total"] == "1000.00"

    def test_voided_payouts_do_not_count_to_complete_nor_to_the_four(self, in_process_op, pay, operador, master):
        for _ in range(Payout.max_per_operation):
            pay(operador, in_process_op, amount="1")
        with pytest.raises(REFUSED):
            pay(operador, in_process_op, amount="1")
        first, second, *_rest = in_process_op.payouts.order_by("id")
        services.void_movement(first, by=operador, reason="Error")
        services.void_movement(second, by=master, reason="Error")
        pay(operador, in_process_op, amount=str(in_process_op.client_receives_amount - 3))  # 3 count
        pay(operador, in_process_op, amount="1")  # 4 count: allowed, 6 rows
        with pytest.raises(REFUSED):
            pay(operador, in_process_op, amount="1")  # a 5th that would count: refused
        assert in_process_op.payouts.count() == 6 and in_process_op.payouts.not_voided().count() == 4
        assert in_process_op.payouts_total == in_process_op.client_receives_amount
        assert services.payout_problem(in_process_op) is None
        done = services.complete_operation(in_process_op, by=operador, notify=False)
        assert done.events.get(action="completed").data["payouts_total"] == str(in_process_op.client_receives_amount)

    def test_a_voided_payout_without_voucher_does_not_block_completion(self, in_process_op, pay, operador):
        no_voucher = pay(operador, in_process_op, amount="5", file=False)
        assert "no tiene comprobante" in services.payout_problem(in_process_op).message
        services.void_movement(no_voucher, by=operador, reason="Sin comprobante")
        pay(operador, in_process_op)
        assert services.payout_problem(in_process_op) is None

    def test_database_refuses_a_half_voided_row(self, make_operation, fund, trader):
        from django.db import IntegrityError, transaction
        from django.utils import timezone

        d = fund(trader, make_operation())
        with pytest.raises(IntegrityError), transaction.atomic():
            Deposit.objects.filter(pk=d.pk).update(voided_at=timezone.now())


# --- Transitions ---------------------------------------------------------------------------------------------


class TestSendToProcess:
    def test_ok_assigns_operator_and_stamps(self, make_operation, fund, trader, operador):
        op = make_operation()
        fund(trader, op)
        op = services.send_to_process(op, by=trader)
        assert op.status == OperationStatus.IN_PROCESS and op.assigned_operator == operador
        assert op.sent_to_process_at is not None
        ev = op.events.get(action="sent_to_process")
        assert (ev.from_status, ev.to_status, ev.by) == ("pending", "in_process", trader)
        assert AuditEntry.objects.filter(action="operation.send_to_process").exists()

    def test_venta_needs_pen_deposits(self, make_operation, fund, trader):
        op = make_operation(SELL, "100.00")  # the client sends S/ 375.00
        fund(trader, op, amount="375.00")
        assert services.send_to_process(op, by=trader).status == OperationStatus.IN_PROCESS

    @pytest.mark.parametrize("amount, gap", [("999.99", "faltan US$ 0.01"), ("1000.01", "sobran US$ 0.01")])
    def test_sum_off_by_one_cent(self, make_operation, fund, trader, amount, gap):
        op = make_operation(BUY, "1000.00")
        fund(trader, op, amount=amount)
        with pytest.raises(REFUSED) as exc:
            services.send_to_process(op, by=trader)
        assert gap in text_of(exc.value)
        op.refresh_from_db()
        assert op.status == OperationStatus.PENDING and op.assigned_operator is None

    def test_split_deposits_add_up(self, make_operation, fund, trader):
        op = make_operation(BUY, "1000.00")
        fund(trader, op, amount="333.33")
        fund(trader, op, amount="333.33")
        fund(trader, op, amount="333.34")
        assert services.send_to_process(op, by=trader).status == OperationStatus.IN_PROCESS

    def test_no_deposits(self, make_operation, trader):
        with pytest.raises(REFUSED) as exc:
            services.send_to_process(make_operation(), by=trader)
        assert "abonos" in text_of(exc.value)

    def test_deposit_needs_voucher_or_reference(self, make_operation, fund, trader):
        op = make_operation()
        fund(trader, op, file=False, reference="")
        with pytest.raises(REFUSED) as exc:
            services.send_to_process(op, by=trader)
        assert "ni comprobante ni número de operación" in text_of(exc.value)

    def test_reference_alone_is_enough(self, make_operation, fund, trader):
        op = make_operation()
        fund(trader, op, file=False, reference="00123")
        assert services.send_to_process(op, by=trader).status == OperationStatus.IN_PROCESS

    def test_wrong_user(self, make_operation, fund, trader, other_trader, operador):
        op = make_operation()
        fund(trader, op)
        for user in (other_trader, operador):
            with pytest.raises(REFUSED) as exc:
                services.send_to_process(op, by=user)
            assert "no tiene permiso" in text_of(exc.value).lower()

    def test_wrong_status(self, in_process_op, trader):
        with pytest.raises(REFUSED) as exc:
            services.send_to_process(in_process_op, by=trader)
        assert "En proceso" in text_of(exc.value)

    def test_balanced_assignment_fewest_in_process_lowest_id(self, make_operation, fund, trader, operador):
        op2 = UserFactory(role="Operador")
        assert op2.pk > operador.pk
        assigned = []
        for _ in range(3):
            op = make_operation()
            fund(trader, op)
            assigned.append(services.send_to_process(op, by=trader).assigned_operator)
        assert assigned == [operador, op2, operador]  # tie → lowest id; then fewest

    def test_candidates_by_permission_not_group(self, make_operation, fund, trader, operador):
        operador.is_active = False
        operador.save()
        superuser = UserFactory(is_superuser=True)
        direct = UserFactory()
        direct.user_permissions.add(Permission.objects.get(codename="process_operation"))
        assert set(operators()) == {direct}
        assert superuser not in operators()
        op = make_operation()
        fund(trader, op)
        assert services.send_to_process(op, by=trader).assigned_operator == direct

    def test_nobody_to_assign(self, make_operation, fund, trader, master, operador, pay):
        operador.is_active = False
        operador.save()
        op = make_operation()
        fund(trader, op)
        op = services.send_to_process(op, by=trader)
        assert op.status == OperationStatus.IN_PROCESS and op.assigned_operator is None
        with pytest.raises(REFUSED):
            pay(operador, op)
        pay(master, op)
        assert services.complete_operation(op, by=master).processed_by == master


class TestComplete:
    def test_ok_records_processor_and_emails(
        self, in_process_op, pay, operador, trader, django_capture_on_commit_callbacks
    ):
        pay(operador, in_process_op)
        with django_capture_on_commit_callbacks(execute=True):
            op = services.complete_operation(in_process_op, by=operador)
        assert op.status == OperationStatus.COMPLETED and op.completed_at and op.processed_by == operador
        assert op.assigned_operator == operador  # kept for history
        msg = mail.outbox[-1]
        assert msg.subject == f"Operación completada #{op.code} - QoriCash Trading"
        assert trader.email in msg.cc
        assert op.destination_account.number not in msg.body and "http" not in msg.body

    def test_missing_voucher(self, in_process_op, pay, operador):
        pay(operador, in_process_op, file=False)
        with pytest.raises(REFUSED) as exc:
            services.complete_operation(in_process_op, by=operador)
        assert "no tiene comprobante" in text_of(exc.value)

    @pytest.mark.parametrize("delta", ["-0.01", "0.01"])
    def test_sum_off_by_one_cent(self, in_process_op, pay, operador, delta):
        pay(operador, in_process_op, amount=in_process_op.client_receives_amount + Decimal(delta))
        with pytest.raises(REFUSED) as exc:
            services.complete_operation(in_process_op, by=operador)
        assert "S/ 0.01" in text_of(exc.value)
        in_process_op.refresh_from_db()
        assert in_process_op.status == OperationStatus.IN_PROCESS

    def test_no_payouts(self, in_process_op, operador):
        with pytest.raises(REFUSED):
            services.complete_operation(in_process_op, by=operador)

    def test_wrong_users(self, in_process_op, pay, operador, trader, other_trader):
        pay(operador, in_process_op)
        other_operator = UserFactory(role="Operador")
        for user in (trader, other_trader, other_operator):
            with pytest.raises(REFUSED):
                services.complete_operation(in_process_op, by=user)
        in_process_op.refresh_from_db()
        assert in_process_op.status == OperationStatus.IN_PROCESS

    def test_master_completes_and_is_recorded(self, in_process_op, pay, master):
        pay(master, in_process_op)
        assert services.complete_operation(in_process_op, by=master).processed_by == master

    def test_wrong_status(self, make_operation, trader, master):
        with pytest.raises(REFUSED):
            services.complete_operation(make_operation(), by=master)

    def test_final_statuses_refuse_everything(self, in_process_op, pay, operador, master, trader):
        pay(operador, in_process_op)
        services.complete_operation(in_process_op, by=operador)
        for t in TRANSITIONS.values():
            data = {"reason": "x"} if t.reason != "none" else {}
            data |= {choice.name: operador for choice in t.choices}
            with pytest.raises(REFUSED):
                t.run(in_process_op, by=master, **data)
        with pytest.raises(REFUSED):
            services.update_amount(in_process_op, by=master, amount_usd="1")
        with pytest.raises(REFUSED):
            pay(master, in_process_op)


class TestReturnCancelReassign:
    def test_return_needs_reason_and_clears_assignment(self, in_process_op, operador):
        with pytest.raises(REFUSED) as exc:
            services.return_to_pending(in_process_op, by=operador, reason="   ")
        assert "motivo" in text_of(exc.value)
        op = services.return_to_pending(in_process_op, by=operador, reason="El abono no llegó")
        assert op.status == OperationStatus.PENDING and op.assigned_operator is None
        assert op.sent_to_process_at is None
        ev = op.events.get(action="returned_to_pending")
        assert ev.reason == "El abono no llegó" and ev.data["operator"] == str(operador)

    def test_return_refused_for_trader_and_other_operator(self, in_process_op, trader):
        for user in (trader, UserFactory(role="Operador")):
            with pytest.raises(REFUSED):
                services.return_to_pending(in_process_op, by=user, reason="x")

    def test_cancel_pending_by_trader_with_reason(self, make_operation, trader):
        op = make_operation()
        with pytest.raises(REFUSED):
            services.cancel_operation(op, by=trader, reason="")
        op = services.cancel_operation(op, by=trader, reason="El cliente desistió")
        assert op.status == OperationStatus.CANCELLED and op.cancelled_at
        assert op.events.get(action="cancelled").reason == "El cliente desistió"

    def test_cancel_pending_refused_for_other_trader_and_operador(self, make_operation, other_trader, operador):
        op = make_operation()
        for user in (other_trader, operador):
            with pytest.raises(REFUSED):
                services.cancel_operation(op, by=user, reason="x")

    def test_cancel_in_process_master_only(self, in_process_op, trader, operador, master):
        for user in (trader, operador):
            with pytest.raises(REFUSED):
                services.cancel_operation(in_process_op, by=user, reason="x")
        op = services.cancel_operation(in_process_op, by=master, reason="Fraude")
        ev = op.events.get(action="cancelled")
        assert (ev.from_status, ev.to_status) == ("in_process", "cancelled")

    def test_reassign(self, in_process_op, master, operador, trader):
        other = UserFactory(role="Operador")
        op = services.reassign_operator(in_process_op, by=master, operator=other, reason="Turno tarde")
        assert op.assigned_operator == other
        ev = op.events.get(action="operator_reassigned")
        assert ev.data == {"from": str(operador), "to": str(other)}
        with pytest.raises(REFUSED):  # already assigned
            services.reassign_operator(op, by=master, operator=other)
        with pytest.raises(REFUSED):  # not an operator
            services.reassign_operator(op, by=master, operator=trader)
        with pytest.raises(REFUSED):  # only supervisors
            services.reassign_operator(op, by=operador, operator=operador)

    def test_reassign_only_in_process(self, make_operation, master, operador):
        with pytest.raises(REFUSED):
            services.reassign_operator(make_operation(), by=master, operator=operador)

    def test_resend_after_return(self, in_process_op, operador, trader):
        services.return_to_pending(in_process_op, by=operador, reason="Revisar")
        op = services.send_to_process(in_process_op, by=trader)
        assert op.status == OperationStatus.IN_PROCESS and op.assigned_operator == operador


class TestAllowedTransitions:
    def names(self, user, op):
        op.refresh_from_db()
        return [t.name for t in allowed_transitions(user, op)]

    def test_matrix(self, make_operation, in_process_op, trader, other_trader, operador, master):
        pending = make_operation()
        assert self.names(trader, pending) == ["send_to_process", "cancel"]
        assert self.names(other_trader, pending) == []
        assert self.names(operador, pending) == []
        assert self.names(master, pending) == ["send_to_process", "cancel"]
        assert self.names(trader, in_process_op) == []
        assert self.names(operador, in_process_op) == ["return_to_pending", "complete"]
        assert self.names(UserFactory(role="Operador"), in_process_op) == []
        assert self.names(master, in_process_op) == ["return_to_pending", "complete", "cancel", "reassign"]


class TestClientReassigned:
    """The right to act on an open operation follows the client's current owner; op.trader stays."""

    @pytest.fixture
    def moved(self, make_operation, fund, trader, other_trader, master):
        from clients.services import reassign_clients

        op = make_operation()
        fund(trader, op, amount="1000.00")
        reassign_clients([op.client], other_trader, by=master)
        op.refresh_from_db()
        return op

    def test_new_owner_acts_and_trader_stays_the_historical_executive(self, moved, trader, other_trader, houses):
        assert [t.name for t in allowed_transitions(other_trader, moved)] == ["send_to_process", "cancel"]
        assert policy.can_edit_amount(other_trader, moved) and policy.can_edit_movements(other_trader, moved, Deposit)
        services.update_amount(moved, by=other_trader, amount_usd="1000.00")  # same amount: allowed, a no-op
        usd = moved.client.accounts.get(currency=Currency.USD)
        services.add_movement(
            moved,
            Deposit,
            by=other_trader,
            amount="2700.00",
            client_account=usd,
            house_account=houses["USD"],
            bank_reference="9",
        )
        services.update_amount(moved, by=other_trader, amount_usd="3700.00")
        op = services.send_to_process(moved, by=other_trader)
        assert op.status == OperationStatus.IN_PROCESS
        assert op.trader == trader  # reports and goals keep the executive at creation
        assert op.events.get(action=EventAction.SENT_TO_PROCESS).by == other_trader

    def test_previous_trader_is_refused_everything(self, moved, trader, houses):
        assert allowed_transitions(trader, moved) == []
        assert not policy.can_edit_amount(trader, moved)
        assert not policy.can_edit_movements(trader, moved, Deposit) and not policy.can_edit_notes(trader, moved)
        usd = moved.client.accounts.get(currency=Currency.USD)
        refused = [
            lambda: services.send_to_process(moved, by=trader),
            lambda: services.cancel_operation(moved, by=trader, reason="ya no es mío"),
            lambda: services.update_amount(moved, by=trader, amount_usd="5.00"),
            lambda: services.update_notes(moved, by=trader, notes="x"),
            lambda: services.add_movement(
                moved,
                Deposit,
                by=trader,
                amount="1",
                client_account=usd,
                house_account=houses["USD"],
                bank_reference="1",
            ),
        ]
        for action in refused:
            with pytest.raises(REFUSED):
                action()
        moved.refresh_from_db()
        assert moved.status == OperationStatus.PENDING and moved.amount_usd == Decimal("1000.00")
        assert moved.deposits.count() == 1


def test_operator_queue(in_process_op, make_operation, fund, trader, operador, master):
    other = UserFactory(role="Operador")
    second = make_operation()
    fund(trader, second)
    services.send_to_process(second, by=trader)  # goes to `other` (fewest)
    assert list(Operation.objects.operator_queue(operador)) == [in_process_op]
    assert list(Operation.objects.operator_queue(other)) == [second]
    assert list(Operation.objects.operator_queue(master)) == [in_process_op, second]
    assert list(Operation.objects.operator_queue(trader)) == []


def test_rate_change_never_rewrites_existing_operations(make_operation, master):
    op = make_operation(SELL, "100.00")
    ExchangeRateFactory(set_by=master, base=Decimal("3.9000"), buy=Decimal("3.8500"), sell=Decimal("3.9500"))
    op.refresh_from_db()
    assert (op.rate, op.base_rate, op.amount_pen) == (Decimal("3.7500"), Decimal("3.7200"), Decimal("375.00"))
    assert make_operation(SELL, "100.00").rate == Decimal("3.9500")


# --- Returned operations: the trader is told (e-mail) and sees them (index panel) ---------------------------------


def reassign_to(op, new_owner, master):
    from clients.services import reassign_clients

    reassign_clients([op.client], new_owner, by=master)
    op.refresh_from_db()
    return op


class TestReturnedOperationEmail:
    REASON = "El abono <b>no figura</b> en el banco"

    def test_the_clients_current_owner_gets_the_reason_masked(
        self, in_process_op, operador, trader, other_trader, master, django_capture_on_commit_callbacks
    ):
        other_trader.first_name, other_trader.last_name = "Rosa", "Quispe"
        other_trader.save()
        op = reassign_to(in_process_op, other_trader, master)  # op.trader stays `trader`
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.return_to_pending(op, by=operador, reason=self.REASON)
        assert len(callbacks) == 1 and len(mail.outbox) == 1
        msg = mail.outbox[0]
        assert msg.to == [other_trader.email] and msg.cc == []
        assert trader.email not in msg.to and op.client.email not in msg.to
        assert msg.subject == f"Operación #{op.code} devuelta a Pendiente - QoriCash Trading"
        body = msg.body
        assert "Hola Rosa Quispe:" in body
        assert f"La operación {op.code} de su cliente {op.client.display_name} fue devuelta a Pendiente" in body
        assert f"Motivo: {self.REASON}" in body
        assert "US$ 1,000.00" in body and "Abonos registrados: US$ 1,000.00" in body
        source = op.source_account.number
        assert source not in body and source[-4:] in body  # masked
        html = msg.alternatives[0][0]
        assert source not in html and "&lt;b&gt;no figura&lt;/b&gt;" in html  # the reason is escaped

    def test_not_sent_when_the_transaction_rolls_back(
        self, in_process_op, operador, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(REFUSED):
            services.return_to_pending(in_process_op, by=operador, reason="   ")  # no reason: refused
        assert callbacks == [] and mail.outbox == []

    def test_failure_is_logged_not_raised(
        self, in_process_op, operador, monkeypatch, caplog, django_capture_on_commit_callbacks
    ):
        def boom(*a, **k):
            raise ConnectionRefusedError("smtp down")

        monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", boom)
        with django_capture_on_commit_callbacks(execute=True):
            op = services.return_to_pending(in_process_op, by=operador, reason="Revisar")
        assert op.status == OperationStatus.PENDING
        message = OutboundEmail.objects.get(kind="operation.returned")
        assert message.status == EmailStatus.PENDING and "smtp down" in message.last_error

    def test_owner_without_email_is_logged(
        self, in_process_op, operador, trader, caplog, django_capture_on_commit_callbacks
    ):
        trader.email = ""
        trader.save()
        with django_capture_on_commit_callbacks(execute=True):
            services.return_to_pending(in_process_op, by=operador, reason="Revisar")
        assert mail.outbox == [] and "has no e-mail" in caplog.text


class TestClientEmailsNameTheCurrentOwner:
    """After a client is reassigned, its e-mails name and copy the new owner, not op.trader."""

    def test_completed_email_copies_the_new_owner(
        self, in_process_op, pay, operador, trader, other_trader, master, django_capture_on_commit_callbacks
    ):
        op = reassign_to(in_process_op, other_trader, master)
        pay(operador, op)
        with django_capture_on_commit_callbacks(execute=True):
            services.complete_operation(op, by=operador)
        msg = mail.outbox[-1]
        assert other_trader.email in msg.cc and trader.email not in msg.cc

    def test_new_operation_email_names_the_new_owner(self, make_operation, trader, other_trader, master):
        from operations import emails

        other_trader.first_name, other_trader.last_name = "Rosa", "Quispe"
        other_trader.save()
        op = reassign_to(make_operation(), other_trader, master)
        assert op.trader == trader
        message = emails.queue_new_operation(op)
        assert other_trader.email in message.cc and trader.email not in message.cc
        assert f"Su ejecutivo: Rosa Quispe ({other_trader.email})." in message.body_text
        assert trader.email not in message.body_text


class TestReturnedOperationsQuery:
    def test_pending_after_a_return_until_sent_again_or_cancelled(
        self, in_process_op, make_operation, fund, operador, trader, other_trader, houses
    ):
        never_sent = make_operation()
        assert list(Operation.objects.returned_to(trader)) == []
        op = services.return_to_pending(in_process_op, by=operador, reason="Revisar", notify=False)
        assert [o.pk for o in Operation.objects.returned_to(trader)] == [op.pk]
        assert (
            Operation.objects.returned_to(trader)[0].returned_event_id == op.events.get(action="returned_to_pending").pk
        )
        assert list(Operation.objects.returned_to(other_trader)) == []  # not theirs
        assert list(Operation.objects.returned_to(operador)) == []  # cannot trade
        services.update_notes(op, by=trader, notes="Pedí la constancia al cliente")  # working on it: still listed
        assert [o.pk for o in Operation.objects.returned_to(trader)] == [op.pk]
        assert Operation.objects.get(pk=op.pk).returned_at is not None
        services.send_to_process(op, by=trader)
        assert list(Operation.objects.returned_to(trader)) == []
        assert Operation.objects.get(pk=op.pk).returned_at is None
        services.return_to_pending(op, by=operador, reason="Otra vez", notify=False)
        second = op.events.filter(action="returned_to_pending").latest("at", "id")
        assert Operation.objects.returned_to(trader).get().returned_event_id == second.pk  # the latest return
        services.cancel_operation(op, by=trader, reason="El cliente desistió")
        assert list(Operation.objects.returned_to(trader)) == []
        assert Operation.objects.get(pk=op.pk).returned_at is None
        assert never_sent.status == OperationStatus.PENDING

    def test_the_migration_marks_the_operations_still_waiting_after_a_return(
        self, in_process_op, make_operation, operador, trader, houses
    ):
        from importlib import import_module

        from django.apps import apps

        mark_returned = import_module("operations.migrations.0012_returned_at").mark_returned
        never_sent = make_operation()
        op = services.return_to_pending(in_process_op, by=operador, reason="Revisar", notify=False)
        services.send_to_process(op, by=trader)
        op = services.return_to_pending(op, by=operador, reason="Otra vez", notify=False)
        Operation.objects.update(returned_at=None)  # as before the field existed
        mark_returned(apps, None)
        latest = op.events.filter(action="returned_to_pending").latest("at", "id")
        assert Operation.objects.get(pk=op.pk).returned_at == latest.at
        assert Operation.objects.get(pk=never_sent.pk).returned_at is None
        services.send_to_process(op, by=trader)
        Operation.objects.update(returned_at=None)
        mark_returned(apps, None)
        assert Operation.objects.get(pk=op.pk).returned_at is None  # sent again: no longer waiting

    def test_only_a_pending_operation_can_be_waiting_after_a_return(self, make_operation):
        from django.db import IntegrityError, transaction
        from django.utils import timezone

        op = make_operation()
        Operation.objects.filter(pk=op.pk).update(returned_at=timezone.now())  # Pendiente: allowed
        with pytest.raises(IntegrityError), transaction.atomic():
            Operation.objects.filter(pk=op.pk).update(status=OperationStatus.IN_PROCESS)
