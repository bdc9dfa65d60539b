"""The operations admin: scoping, 404s, no delete, creation and edits through the services."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from clients.models import ClientStatus, Currency
from clients.tests.factories import BankAccountFactory, ClientFactory, active_client
from operations import services
from operations.models import (
    Deposit,
    EventAction,
    ExchangeRate,
    HouseBankAccount,
    Operation,
    OperationStatus,
    OperationType,
    Payout,
)
from operations.tests.conftest import accounts_for, change_form_data, inline_prefix, new_row_data, pdf, png
from operations.tests.factories import OperationFactory
from operations.transitions import TRANSITIONS

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:operations_operation_changelist")
ADD = reverse("admin:operations_operation_add")


def change_url(op):
    return reverse("admin:operations_operation_change", args=[op.pk])


def delete_url(op):
    return reverse("admin:operations_operation_delete", args=[op.pk])


# --- Changelist -------------------------------------------------------------------------------------------------


class TestChangelist:
    def test_trader_sees_only_own_operations(self, trader_client, trader, other_trader):
        mine = OperationFactory(client=active_client(owner=trader))
        theirs = OperationFactory(client=active_client(owner=other_trader))
        response = trader_client.get(CHANGELIST)
        assert response.status_code == 200
        shown = list(response.context["cl"].result_list)
        assert shown == [mine] and theirs not in shown
        assert theirs.code not in response.content.decode()

    def test_operador_and_master_see_all(self, client, operador, master, trader, other_trader):
        ops = {OperationFactory(client=active_client(owner=u)) for u in (trader, other_trader)}
        for user in (operador, master):
            client.force_login(user)
            assert set(client.get(CHANGELIST).context["cl"].result_list) == ops

    def test_in_process_first_then_newest(self, master_client, trader):
        c = active_client(owner=trader)
        old_pending = OperationFactory(client=c)
        in_process = OperationFactory(client=c, status=OperationStatus.IN_PROCESS)
        new_done = OperationFactory(client=c, status=OperationStatus.COMPLETED)
        new_pending = OperationFactory(client=c)
        shown = list(master_client.get(CHANGELIST).context["cl"].result_list)
        assert shown == [in_process, new_pending, new_done, old_pending]

    def test_columns_badges_and_spanish(self, master_client, trader):
        OperationFactory(client=active_client(owner=trader), status=OperationStatus.IN_PROCESS, amount_usd="1234.50")
        html = master_client.get(CHANGELIST).content.decode()
        for header in (
            "Código",
            "Cliente",
            "Tipo",
            "USD",
            "T.C.",
            "PEN",
            "Estado",
            "Ejecutivo",
            "Operador",
            "Tiempo en proceso",
        ):
            assert header.lower() in html.lower(), header
        assert 'class="op-badge op-badge-in_process">En proceso<' in html
        assert "1,234.50" in html and "4,567.65" in html  # 1234.50 × 3.7000

    def test_badges_read_each_status_and_type(self, trader):
        # Built once per value (operations.admin._choice_badge): the second row gets the same text.
        from operations.admin import status_badge, type_badge

        op = OperationFactory(client=active_client(owner=trader), type=OperationType.SELL)
        for _ in range(2):
            assert status_badge(op) == '<span class="op-badge op-badge-pending">Pendiente</span>'
            assert type_badge(op) == '<span class="op-type op-type-sell">Venta</span>'
        op.status, op.type = OperationStatus.CANCELLED, OperationType.BUY
        assert status_badge(op) == '<span class="op-badge op-badge-cancelled">Cancelado</span>'
        assert type_badge(op) == '<span class="op-type op-type-buy">Compra</span>'
        op.status = "<odd>"  # not a choice: shown as stored, escaped
        assert status_badge(op) == '<span class="op-badge op-badge-&lt;odd&gt;">&lt;odd&gt;</span>'

    def test_search_by_code_document_and_name(self, master_client, trader):
        a = OperationFactory(client=active_client(owner=trader, nombres="ZOILA"))
        b = OperationFactory(client=active_client(owner=trader))
        for term, expected in ((a.code, [a]), (b.client.document_number, [b]), ("zoila", [a])):
            shown = list(master_client.get(CHANGELIST, {"q": term}).context["cl"].result_list)
            assert shown == expected, term

    def test_filters(self, master_client, trader, operador):
        c = active_client(owner=trader)
        done = OperationFactory(
            client=c, status=OperationStatus.COMPLETED, assigned_operator=operador, type=OperationType.SELL
        )
        OperationFactory(client=c)
        assert list(master_client.get(CHANGELIST, {"status__exact": "completed"}).context["cl"].result_list) == [done]
        assert list(master_client.get(CHANGELIST, {"type__exact": "sell"}).context["cl"].result_list) == [done]
        got = master_client.get(CHANGELIST, {"assigned_operator__id__exact": operador.pk})
        assert list(got.context["cl"].result_list) == [done]

    def test_staff_filters_list_whoever_holds_the_role_now(self, master_client, trader, operador):
        # Their SQL is compiled once (qoricash.compiled); the people are read on every visit.
        def choices(response, title):
            spec = next(f for f in response.context["cl"].filter_specs if str(f.title) == title)
            return [label for _pk, label in spec.lookup_choices]

        first = master_client.get(CHANGELIST)
        assert choices(first, "operador") == [operador.display_name]
        assert trader.display_name in choices(first, "ejecutivo")
        newcomer = UserFactory(first_name="Aarón", last_name="Zapata", role="Operador", is_active=False)
        UserFactory(username="root", is_superuser=True)  # holds every permission, but not the role
        assert choices(master_client.get(CHANGELIST), "operador") == [newcomer.display_name, operador.display_name]

    def test_rows_of_every_kind_read_nothing_more(self, master_client, trader, operador):
        # The page's rows load only OperationAdmin.list_fields: no column may read beyond them.
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        c = active_client(owner=trader)
        OperationFactory(client=c)

        def queries():
            with CaptureQueriesContext(connection) as ctx:
                html = master_client.get(CHANGELIST).content.decode()
            return len(ctx.captured_queries), html

        one, _html = queries()
        now = timezone.now()
        company = active_client(
            owner=trader, document_type="RUC", document_number="20100070970", razon_social="ACME S.A.C.", nombres=""
        )
        for status, extra in (
            (OperationStatus.IN_PROCESS, {"sent_to_process_at": now, "assigned_operator": operador}),
            (OperationStatus.COMPLETED, {"sent_to_process_at": now, "completed_at": now, "ro_single": True}),
            (OperationStatus.CANCELLED, {"sent_to_process_at": now, "cancelled_at": now, "ro_multiple": True}),
        ):
            OperationFactory(client=company, status=status, **extra)
        many, html = queries()
        assert many == one
        assert "ACME S.A.C." in html and "RO Ú<" in html and "RO M<" in html and operador.display_name in html

    def test_query_count_does_not_grow_with_rows(self, master_client, trader, django_assert_max_num_queries):
        c = active_client(owner=trader)
        for _ in range(30):
            OperationFactory(client=c)
        with django_assert_max_num_queries(20):
            response = master_client.get(CHANGELIST)
        assert len(response.context["cl"].result_list) == 30
        assert response.context["cl"].show_full_result_count is False

    def test_no_delete_action(self, master_client, trader):
        OperationFactory(client=active_client(owner=trader))
        form = master_client.get(CHANGELIST).context["action_form"]
        assert form is None or "delete_selected" not in [n for n, _label in form.fields["action"].choices]


# --- Isolation and delete ------------------------------------------------------------------------------------


class TestIsolation:
    def test_another_traders_operation_is_a_real_404(self, trader_client, other_trader, trader):
        theirs = OperationFactory(client=active_client(owner=other_trader))
        mine = OperationFactory(client=active_client(owner=trader))
        assert trader_client.get(change_url(mine)).status_code == 200
        for url in (change_url(theirs), reverse("admin:operations_operation_history", args=[theirs.pk])):
            response = trader_client.get(url)
            assert response.status_code == 404, url  # not the admin's redirect to the index
        post = trader_client.post(change_url(theirs), {"amount_usd": "1", "notes": "x"})
        assert post.status_code == 404
        theirs.refresh_from_db()
        assert theirs.amount_usd == Decimal("1000.00")
        for action in TRANSITIONS:
            url = reverse("admin:operations_operation_transition", args=[theirs.pk, action])
            assert trader_client.post(url, {"reason": "x"}).status_code == 404

    def test_missing_id_is_404(self, master_client):
        assert master_client.get(reverse("admin:operations_operation_change", args=[999999])).status_code == 404

    def test_trader_delete_attempt_is_refused(self, trader_client, trader, other_trader):
        mine = OperationFactory(client=active_client(owner=trader))
        theirs = OperationFactory(client=active_client(owner=other_trader))
        assert trader_client.get(delete_url(mine)).status_code == 403
        assert trader_client.post(delete_url(mine), {"post": "yes"}).status_code == 403
        assert trader_client.post(delete_url(theirs), {"post": "yes"}).status_code in (403, 404)
        bulk = trader_client.post(
            CHANGELIST, {"action": "delete_selected", "_selected_action": [mine.pk], "post": "yes"}
        )
        assert bulk.status_code in (200, 302)
        assert Operation.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2

    def test_nobody_can_delete(self, client, master, operador, trader):
        op = OperationFactory(client=active_client(owner=trader))
        superuser = UserFactory(is_superuser=True)
        for user in (master, operador, superuser):
            client.force_login(user)
            assert client.post(delete_url(op), {"post": "yes"}).status_code == 403
        assert Operation.objects.filter(pk=op.pk).exists()

    def test_no_group_has_delete_operation(self):
        from accounts.roles import ROLE_PERMISSIONS

        assert all("operations.delete_operation" not in perms for perms in ROLE_PERMISSIONS.values())


# --- Creation through the admin --------------------------------------------------------------------------------


class TestAdd:
    def post(self, client, c, op_type=OperationType.SELL, **overrides):
        source, destination = accounts_for(c, op_type)
        data = {
            "client": c.pk,
            "type": op_type,
            "amount_usd": "1000.00",
            "rate": "",
            "notes": "",
            "source_account": source.pk,
            "destination_account": destination.pk,
            **overrides,
        }
        return client.post(ADD, data)

    def test_add_page_shows_published_rate_and_preview(self, trader_client, rate):
        html = trader_client.get(ADD).content.decode()
        assert "Tipo de cambio publicado: compra 3.7000 · venta 3.7500" in html
        assert 'id="op-pen-preview"' in html and "operations/operation_form.js" in html
        assert '"buy": "3.7000"' in html

    def test_creates_through_the_service(self, trader_client, rate, client_of_trader, trader):
        response = self.post(trader_client, client_of_trader)
        op = Operation.objects.get()
        assert response.status_code == 302 and response.url == change_url(op)  # continue to deposits
        assert op.code == "EXP-1001" and op.rate == Decimal("3.7500") and op.amount_pen == Decimal("3750.00")
        assert op.created_by == trader and op.events.get().action == EventAction.CREATED

    @pytest.mark.parametrize(
        "overrides, field, fragment",
        [
            ({"amount_usd": "0"}, "amount_usd", ""),
            ({"amount_usd": "600000"}, "amount_usd", "no puede superar"),
            ({"rate": "5.1"}, "rate", "entre 2.5000 y 5.0000"),
        ],
    )
    def test_refusals_are_shown_and_nothing_saved(
        self, trader_client, rate, client_of_trader, overrides, field, fragment
    ):
        response = self.post(trader_client, client_of_trader, **overrides)
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert field in errors and fragment in " ".join(errors[field])
        assert not Operation.objects.exists()

    def test_accounts_of_wrong_currency_refused(self, trader_client, rate, client_of_trader):
        usd, pen = accounts_for(client_of_trader, OperationType.BUY)
        response = self.post(
            trader_client,
            client_of_trader,
            op_type=OperationType.SELL,
            source_account=usd.pk,
            destination_account=pen.pk,
        )
        assert "source_account" in response.context["adminform"].form.errors
        assert not Operation.objects.exists()

    def test_other_traders_client_or_account_refused(self, trader_client, rate, client_of_trader, other_trader):
        foreign = active_client(owner=other_trader)
        response = self.post(trader_client, foreign)
        assert "client" in response.context["adminform"].form.errors
        pen = foreign.accounts.get(currency=Currency.PEN)
        response = self.post(trader_client, client_of_trader, source_account=pen.pk)
        assert "source_account" in response.context["adminform"].form.errors
        assert not Operation.objects.exists()

    def test_inactive_client_refused(self, trader_client, rate, trader):
        c = ClientFactory(owner=trader, status=ClientStatus.INACTIVE)
        BankAccountFactory(client=c, currency=Currency.USD)
        BankAccountFactory(client=c, currency=Currency.PEN)
        response = self.post(trader_client, c)
        assert "client" in response.context["adminform"].form.errors
        assert not Operation.objects.exists()

    @pytest.mark.parametrize("value", ["²", "1²", "abc", "-1"])
    def test_client_that_is_not_an_id_is_a_form_error_not_a_500(self, trader_client, rate, client_of_trader, value):
        source, destination = accounts_for(client_of_trader, OperationType.SELL)
        data = {"client": value, "type": OperationType.SELL, "amount_usd": "1000.00", "rate": "", "notes": ""}
        data |= {"source_account": source.pk, "destination_account": destination.pk}
        response = trader_client.post(ADD, data)
        assert response.status_code == 200
        assert "client" in response.context["adminform"].form.errors
        assert not Operation.objects.exists()
        # The same value as the add page's initial data (?client=…) only leaves the lists empty.
        page = trader_client.get(ADD, {"client": value})
        assert page.status_code == 200
        assert not page.context["adminform"].form.fields["source_account"].queryset.exists()

    def test_account_deactivated_between_the_form_check_and_the_save(
        self, trader_client, rate, client_of_trader, monkeypatch
    ):
        """The service refuses on fresh rows; the admin shows its refusal on the field, with the input kept."""
        from clients.models import BankAccount
        from operations.forms import OperationAddForm

        checked = OperationAddForm.clean

        def clean_then_someone_deactivates(form):
            cleaned = checked(form)
            BankAccount.objects.filter(pk=cleaned["destination_account"].pk).update(is_active=False)
            return cleaned

        monkeypatch.setattr(OperationAddForm, "clean", clean_then_someone_deactivates)
        response = self.post(trader_client, client_of_trader, amount_usd="1234.56", notes="Cliente frecuente")
        assert response.status_code == 200  # the same form again, nothing saved
        form = response.context["adminform"].form
        assert "no está activa" in str(form.errors["destination_account"])
        html = response.content.decode()
        assert 'value="1234.56"' in html and "Cliente frecuente" in html  # what the user typed is kept
        assert not Operation.objects.exists()

    def test_no_rate_published(self, trader_client, client_of_trader):
        response = self.post(trader_client, client_of_trader)
        assert "tipo de cambio" in str(response.context["adminform"].form.non_field_errors())
        assert not Operation.objects.exists()

    def test_operador_cannot_add(self, operador_client):
        assert operador_client.get(ADD).status_code == 403

    def test_client_autocomplete_is_scoped_to_own_active_clients(self, trader_client, trader, other_trader):
        mine = active_client(owner=trader, nombres="ROSA")
        inactive = ClientFactory(owner=trader, nombres="ROSA INACTIVA")
        theirs = active_client(owner=other_trader, nombres="ROSA AJENA")
        url = reverse("admin:autocomplete")
        response = trader_client.get(
            url, {"app_label": "operations", "model_name": "operation", "field_name": "client", "term": "ROSA"}
        )
        assert response.status_code == 200
        ids = {int(r["id"]) for r in response.json()["results"]}
        assert ids == {mine.pk}
        assert inactive.pk not in ids and theirs.pk not in ids


# --- Editing an existing operation ---------------------------------------------------------------------------


class TestChange:
    def test_amount_edit_goes_through_update_amount(self, trader_client, make_operation):
        op = make_operation(OperationType.SELL, "100.00")
        page = trader_client.get(change_url(op))
        data = change_form_data(page)
        data["amount_usd"] = "150.00"
        data["_continue"] = "1"
        response = trader_client.post(change_url(op), data)
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
        op.refresh_from_db()
        assert op.amount_usd == Decimal("150.00") and op.amount_pen == Decimal("562.50")
        ev = op.events.get(action=EventAction.AMOUNT_CHANGED)
        assert ev.data["amount_usd"] == ["100.00", "150.00"]

    def test_amount_is_read_only_outside_pending(self, trader_client, in_process_op):
        page = trader_client.get(change_url(in_process_op))
        assert "amount_usd" not in page.context["adminform"].form.fields
        data = change_form_data(page)
        data["amount_usd"] = "1.00"
        trader_client.post(change_url(in_process_op), data)
        in_process_op.refresh_from_db()
        assert in_process_op.amount_usd == Decimal("1000.00")

    def test_register_deposit_inline_with_voucher(self, trader_client, make_operation, houses):
        op = make_operation(OperationType.SELL, "100.00")
        page = trader_client.get(change_url(op))
        pen = op.client.accounts.get(currency=Currency.PEN)
        data = new_row_data(
            page,
            Deposit,
            amount="375.00",
            bank_reference="778899",
            client_account=pen.pk,
            house_account=houses[Currency.PEN].pk,
            file=pdf(),
        )
        response = trader_client.post(change_url(op), data)
        assert response.status_code == 302, response.context and [
            f.errors for f in response.context["inline_admin_formsets"][0].formset.forms
        ]
        deposit = op.deposits.get()
        assert deposit.amount == Decimal("375.00") and deposit.created_by.username == "t_trader"
        assert deposit.original_name == "voucher.pdf" and deposit.sha256
        assert op.events.filter(action=EventAction.DEPOSIT_ADDED).exists()
        # The voucher is shown by name/size through the permission-checked view, never its storage URL.
        html = trader_client.get(change_url(op)).content.decode()
        assert "voucher.pdf" in html and "/private-media-not-served/" not in html

    def test_deposit_in_wrong_currency_is_refused_inline(self, trader_client, make_operation, houses):
        op = make_operation(OperationType.SELL, "100.00")
        page = trader_client.get(change_url(op))
        data = change_form_data(page)
        prefix = inline_prefix(page, Deposit)
        usd = op.client.accounts.get(currency=Currency.USD)  # a Venta is paid in PEN
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": 1,
                f"{prefix}-0-amount": "375.00",
                f"{prefix}-0-client_account": usd.pk,
                f"{prefix}-0-house_account": houses[Currency.USD].pk,
            }
        )
        response = trader_client.post(change_url(op), data)
        assert response.status_code == 200
        assert not op.deposits.exists()

    def test_deposit_inline_is_read_only_for_operador_and_after_pending(
        self, client, operador, trader, make_operation, in_process_op
    ):
        pending = make_operation()
        client.force_login(operador)
        page = client.get(change_url(pending))
        deposits = next(i for i in page.context["inline_admin_formsets"] if i.formset.model is Deposit)
        assert not deposits.has_add_permission and not deposits.has_change_permission
        client.force_login(trader)
        page = client.get(change_url(in_process_op))
        deposits = next(i for i in page.context["inline_admin_formsets"] if i.formset.model is Deposit)
        assert not deposits.has_add_permission

    def test_operator_registers_payout_inline(self, operador_client, in_process_op, houses):
        page = operador_client.get(change_url(in_process_op))
        pen = in_process_op.client.accounts.get(currency=Currency.PEN)
        data = new_row_data(
            page, Payout, amount="3700.00", client_account=pen.pk, house_account=houses[Currency.PEN].pk, file=png()
        )
        response = operador_client.post(change_url(in_process_op), data)
        assert response.status_code == 302
        assert in_process_op.payouts.get().amount == Decimal("3700.00")

    def test_more_than_four_payouts_refused_inline(self, operador_client, in_process_op, houses):
        page = operador_client.get(change_url(in_process_op))
        data = change_form_data(page)
        prefix = inline_prefix(page, Payout)
        pen = in_process_op.client.accounts.get(currency=Currency.PEN)
        data[f"{prefix}-TOTAL_FORMS"] = 5
        for i in range(5):
            data.update(
                {
                    f"{prefix}-{i}-amount": "1.00",
                    f"{prefix}-{i}-client_account": pen.pk,
                    f"{prefix}-{i}-house_account": houses[Currency.PEN].pk,
                }
            )
        response = operador_client.post(change_url(in_process_op), data)
        assert response.status_code == 200
        assert not in_process_op.payouts.exists()

    def test_events_are_read_only_and_complete(self, master_client, in_process_op):
        page = master_client.get(change_url(in_process_op))
        events = next(i for i in page.context["inline_admin_formsets"] if i.formset.model.__name__ == "OperationEvent")
        assert not events.has_add_permission and not events.has_change_permission and not events.has_delete_permission
        html = page.content.decode()
        for label in ("Creada", "Abono registrado", "Enviada a proceso", "Pendiente → En proceso", "Asignada a"):
            assert label in html, label

    def test_transition_buttons_follow_status_and_permission(
        self, client, make_operation, in_process_op, trader, operador, master, other_trader
    ):
        pending = make_operation()

        def buttons(user, op):
            client.force_login(user)
            return [t["name"] for t in client.get(change_url(op)).context["op_transitions"]]

        assert buttons(trader, pending) == ["send_to_process", "cancel"]
        assert buttons(operador, pending) == []
        assert buttons(trader, in_process_op) == []
        assert buttons(operador, in_process_op) == ["return_to_pending", "complete"]
        # Reassigning needs another active operator: with `operador` alone it is not offered.
        assert buttons(master, in_process_op) == ["return_to_pending", "complete", "cancel"]
        UserFactory(role="Operador")
        assert buttons(master, in_process_op) == ["return_to_pending", "complete", "cancel", "reassign"]
        html = client.get(change_url(in_process_op)).content.decode()
        assert 'class="op-action op-action-complete"' in html and "Completar" in html

    def test_trader_never_sees_full_account_numbers(self, client, trader, operador, make_operation):
        op = make_operation()
        number = op.source_account.number
        client.force_login(trader)
        html = client.get(change_url(op)).content.decode()
        assert number not in html and number[-4:] in html
        client.force_login(operador)
        assert number in client.get(change_url(op)).content.decode()  # view_full_accounts


# --- Rates and house accounts --------------------------------------------------------------------------------


class TestRatesAdmin:
    ADD = reverse("admin:operations_exchangerate_add")

    def test_master_publishes(self, master_client, master):
        response = master_client.post(
            self.ADD,
            {
                "buy": "3.7000",
                "sell": "3.7500",
                "base": "3.7200",
                "effective_at_0": "2026-01-01",
                "effective_at_1": "10:00:00",
            },
        )
        assert response.status_code == 302
        rate = ExchangeRate.objects.get()
        assert rate.set_by == master and rate.buy == Decimal("3.7000")

    def test_order_and_bounds_refused(self, master_client):
        for data in ({"buy": "3.80", "sell": "3.75", "base": "3.72"}, {"buy": "2.40", "sell": "3.75", "base": "3.72"}):
            response = master_client.post(
                self.ADD, {**data, "effective_at_0": "2026-01-01", "effective_at_1": "10:00:00"}
            )
            assert response.status_code == 200
        assert not ExchangeRate.objects.exists()

    def test_wrong_order_is_one_spanish_message(self, master_client):
        """QA: buy 3.80, sell 3.75, base 3.77 showed the order message and then the constraint's raw name."""
        response = master_client.post(
            self.ADD,
            {"buy": "3.80", "sell": "3.75", "base": "3.77", "effective_at_0": "2026-01-01", "effective_at_1": "10:00"},
        )
        assert response.status_code == 200
        form = response.context["adminform"].form
        assert form.errors == {"__all__": ["Los tipos deben cumplir compra ≤ base ≤ venta."]}
        html = response.content.decode()
        assert html.count("Los tipos deben cumplir compra ≤ base ≤ venta.") == 1
        assert "rate_buy_base_sell_order" not in html and "restricción" not in html
        assert not ExchangeRate.objects.exists()

    def test_append_only(self, master_client, rate):
        url = reverse("admin:operations_exchangerate_change", args=[rate.pk])
        assert master_client.get(url).status_code == 200  # view only
        assert master_client.post(url, {"buy": "3.0", "sell": "3.9", "base": "3.5"}).status_code == 403
        assert (
            master_client.post(
                reverse("admin:operations_exchangerate_delete", args=[rate.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
        rate.refresh_from_db()
        assert rate.buy == Decimal("3.7000")

    def test_trader_and_operador_only_view(self, client, trader, operador, rate):
        for user in (trader, operador):
            client.force_login(user)
            assert client.get(self.ADD).status_code == 403
            assert client.get(reverse("admin:operations_exchangerate_changelist")).status_code == 200

    def test_initial_effective_at_is_now(self, master_client):
        form = master_client.get(self.ADD).context["adminform"].form
        assert form.initial["effective_at"] is not None


class TestHouseAccountsAdmin:
    def test_master_adds_and_deactivates_never_deletes(self, master_client):
        add = reverse("admin:operations_housebankaccount_add")
        response = master_client.post(
            add,
            {
                "bank": "BCP",
                "currency": "USD",
                "number": "1930001112223",
                "cci": "",
                "holder": "QORICASH SAC",
                "is_active": "on",
            },
        )
        assert response.status_code == 302
        acc = HouseBankAccount.objects.get()
        changelist = reverse("admin:operations_housebankaccount_changelist")
        master_client.post(changelist, {"action": "deactivate_selected", "_selected_action": [acc.pk]})
        acc.refresh_from_db()
        assert not acc.is_active
        assert (
            master_client.post(
                reverse("admin:operations_housebankaccount_delete", args=[acc.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
        from accounts.models import AuditEntry

        assert AuditEntry.objects.filter(action__startswith="housebankaccount.").count() == 2

    def test_trader_cannot_manage(self, trader_client):
        assert trader_client.get(reverse("admin:operations_housebankaccount_add")).status_code == 403


# --- Storage failures on vouchers ----------------------------------------------------------------------------


def break_storage(monkeypatch):
    """From now on the file storage refuses every upload (network down, bad credentials, quota)."""
    from django.core.files.storage import FileSystemStorage

    def fail(self, name, content):
        raise OSError("storage down")

    monkeypatch.setattr(FileSystemStorage, "_save", fail)


@pytest.fixture
def broken_storage(monkeypatch):
    break_storage(monkeypatch)


STORAGE_DOWN = "No se pudo guardar el archivo"


def row_errors(response, model):
    inline = next(i for i in response.context["inline_admin_formsets"] if i.formset.model is model)
    return [form.errors for form in inline.formset.forms]


class TestVoucherStorageFailure:
    """A storage failure is an error on the voucher's row of the form: no row, no event, no 500."""

    def test_new_deposit(self, trader_client, make_operation, houses, broken_storage):
        op = make_operation(OperationType.SELL, "100.00")
        page = trader_client.get(change_url(op))
        data = change_form_data(page)
        prefix = inline_prefix(page, Deposit)
        data.update(
            {
                "amount_usd": "120.00",  # changed in the same submission: not saved either
                f"{prefix}-TOTAL_FORMS": 1,
                f"{prefix}-0-amount": "375.00",
                f"{prefix}-0-bank_reference": "778899",
                f"{prefix}-0-client_account": op.client.accounts.get(currency=Currency.PEN).pk,
                f"{prefix}-0-house_account": houses[Currency.PEN].pk,
                f"{prefix}-0-file": pdf(),
                "_continue": "1",
            }
        )
        response = trader_client.post(change_url(op), data)
        assert response.status_code == 200
        errors = row_errors(response, Deposit)
        assert STORAGE_DOWN in " ".join(errors[0]["file"])
        # What the user typed is still on the form.
        assert 'value="778899"' in response.content.decode()
        assert not Deposit.objects.exists()
        op.refresh_from_db()
        assert op.amount_usd == Decimal("100.00")
        assert list(op.events.values_list("action", flat=True)) == [EventAction.CREATED]

    def test_replaced_deposit_voucher(self, trader_client, make_operation, fund, trader, monkeypatch):
        op = make_operation()
        deposit = fund(trader, op)
        old_name, old_sha = deposit.file.name, deposit.sha256
        break_storage(monkeypatch)
        page = trader_client.get(change_url(op))
        data = change_form_data(page)
        prefix = inline_prefix(page, Deposit)
        data[f"{prefix}-0-file"] = png("nuevo.png")
        response = trader_client.post(change_url(op), data)
        assert response.status_code == 200
        assert STORAGE_DOWN in " ".join(row_errors(response, Deposit)[0]["file"])
        deposit.refresh_from_db()
        assert (deposit.file.name, deposit.sha256) == (old_name, old_sha)
        assert not op.events.filter(action=EventAction.DEPOSIT_CHANGED).exists()

    def test_new_payout(self, operador_client, in_process_op, houses, broken_storage):
        page = operador_client.get(change_url(in_process_op))
        data = change_form_data(page)
        prefix = inline_prefix(page, Payout)
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": 1,
                f"{prefix}-0-amount": "3700.00",
                f"{prefix}-0-client_account": in_process_op.client.accounts.get(currency=Currency.PEN).pk,
                f"{prefix}-0-house_account": houses[Currency.PEN].pk,
                f"{prefix}-0-file": png(),
                "_continue": "1",
            }
        )
        response = operador_client.post(change_url(in_process_op), data)
        assert response.status_code == 200
        assert STORAGE_DOWN in " ".join(row_errors(response, Payout)[0]["file"])
        assert not Payout.objects.exists()
        assert not in_process_op.events.filter(action=EventAction.PAYOUT_ADDED).exists()

    def test_replaced_payout_voucher(self, operador_client, in_process_op, operador, pay, monkeypatch):
        payout = pay(operador, in_process_op)
        old_name = payout.file.name
        break_storage(monkeypatch)
        page = operador_client.get(change_url(in_process_op))
        data = change_form_data(page)
        prefix = inline_prefix(page, Payout)
        data[f"{prefix}-0-file"] = pdf("otro.pdf")
        response = operador_client.post(change_url(in_process_op), data)
        assert response.status_code == 200
        assert STORAGE_DOWN in " ".join(row_errors(response, Payout)[0]["file"])
        payout.refresh_from_db()
        assert payout.file.name == old_name
        assert not in_process_op.events.filter(action=EventAction.PAYOUT_CHANGED).exists()


# --- Voiding deposits and payouts (never deleted) ---------------------------------------------------------------


def void_url(row):
    return reverse("admin:operations_operation_void", kwargs={"kind": row._meta.model_name, "pk": row.pk})


def inline_of(response, model):
    return next(i for i in response.context["inline_admin_formsets"] if i.formset.model is model)


class TestVoidingAdmin:
    def test_rows_offer_void_never_delete(self, trader_client, make_operation, fund, trader):
        op = make_operation()
        deposit = fund(trader, op)
        page = trader_client.get(change_url(op))
        deposits = inline_of(page, Deposit)
        assert deposits.formset.can_delete is False and not deposits.has_delete_permission
        html = page.content.decode()
        assert "-DELETE" not in html
        assert f'href="{void_url(deposit)}"' in html and ">Anular</a>" in html
        # A stale form that still posts DELETE deletes nothing.
        data = change_form_data(page)
        data[f"{inline_prefix(page, Deposit)}-0-DELETE"] = "on"
        trader_client.post(change_url(op), data)
        assert Deposit.objects.filter(pk=deposit.pk, voided_at__isnull=True).exists()

    def test_void_page_asks_for_a_reason_then_voids(self, trader_client, make_operation, fund, trader):
        op = make_operation()
        deposit = fund(trader, op)
        page = trader_client.get(void_url(deposit))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Anular abono" in html and "Motivo" in html and "1,000.00" in html
        assert f"/admin/files/deposit/{deposit.pk}/" in html  # the voucher, through the checked view
        response = trader_client.post(void_url(deposit), {"reason": "  "})
        assert response.status_code == 200 and response.context["form"].errors["reason"]
        deposit.refresh_from_db()
        assert not deposit.is_voided
        response = trader_client.post(void_url(deposit), {"reason": "Abono duplicado"}, follow=True)
        assert response.redirect_chain[-1][0] == change_url(op)
        assert any("anulado" in str(m) for m in response.context["messages"])
        deposit.refresh_from_db()
        assert deposit.is_voided and deposit.voided_by == trader and deposit.void_reason == "Abono duplicado"
        assert op.events.filter(action=EventAction.DEPOSIT_VOIDED).count() == 1

    def test_voided_row_is_listed_greyed_read_only_and_its_voucher_downloadable(
        self, trader_client, make_operation, fund, trader
    ):
        op = make_operation()
        deposit = fund(trader, op)
        services.void_movement(deposit, by=trader, reason="Monto equivocado")
        page = trader_client.get(change_url(op))
        html = page.content.decode()
        assert 'class="op-voided">Anulado<' in html and "Monto equivocado" in html
        assert "Abono anulado" in html  # the history line, with its reason
        assert f'href="{void_url(deposit)}"' not in html
        assert page.context["op_sends"]["registered"] == "US$ 0.00" and not page.context["op_sends"]["ok"]
        row = inline_of(page, Deposit).formset.forms[0]
        editable = ("amount", "bank_reference", "client_account", "house_account", "file")
        assert row.instance == deposit and all(row.fields[name].disabled for name in editable)
        # Editing the voided row through a forged POST changes nothing.
        data = change_form_data(page)
        data[f"{inline_prefix(page, Deposit)}-0-amount"] = "1.00"
        trader_client.post(change_url(op), data)
        deposit.refresh_from_db()
        assert deposit.amount == Decimal("1000.00")
        download = trader_client.get(reverse("admin:private_file", kwargs={"kind": "deposit", "pk": deposit.pk}))
        assert download.status_code == 200
        # With every deposit voided, an empty row is offered again.
        assert len(inline_of(page, Deposit).formset.forms) == 2

    def test_who_may_void(self, client, make_operation, fund, pay, in_process_op, trader, other_trader, operador):
        op = make_operation()
        deposit = fund(trader, op)
        client.force_login(other_trader)
        assert client.get(void_url(deposit)).status_code == 404
        assert client.post(void_url(deposit), {"reason": "x"}).status_code == 404
        client.force_login(operador)  # sees it, may not touch deposits
        response = client.post(void_url(deposit), {"reason": "x"})
        assert response.status_code == 403 and "No tiene permiso para anular abonos" in response.content.decode()
        client.force_login(trader)  # a deposit of an En proceso operation: too late
        response = client.post(void_url(in_process_op.deposits.get()), {"reason": "x"})
        assert response.status_code == 403 and "Pendiente" in response.content.decode()
        payout = pay(operador, in_process_op, amount="1")
        assert client.post(void_url(payout), {"reason": "x"}).status_code == 403
        unknown_kind = reverse("admin:operations_operation_void", kwargs={"kind": "operation", "pk": op.pk})
        assert client.get(unknown_kind).status_code == 404
        assert not Deposit.objects.voided().exists() and not Payout.objects.voided().exists()

    def test_operator_voids_a_payout_and_may_register_a_fourth_that_counts(
        self, operador_client, in_process_op, pay, operador, houses
    ):
        for _ in range(Payout.max_per_operation):
            pay(operador, in_process_op, amount="1")
        first = in_process_op.payouts.order_by("id").first()
        response = operador_client.post(void_url(first), {"reason": "Cuenta equivocada"})
        assert response.status_code == 302
        page = operador_client.get(change_url(in_process_op))
        assert inline_of(page, Payout).formset.max_num == Payout.max_per_operation + 1
        data = change_form_data(page)
        prefix = inline_prefix(page, Payout)
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": 5,
                f"{prefix}-4-amount": "3697.00",
                f"{prefix}-4-client_account": in_process_op.client.accounts.get(currency=Currency.PEN).pk,
                f"{prefix}-4-house_account": houses[Currency.PEN].pk,
                f"{prefix}-4-file": png(),
                "_continue": "1",
            }
        )
        response = operador_client.post(change_url(in_process_op), data)
        assert response.status_code == 302, row_errors(response, Payout)
        assert in_process_op.payouts.count() == 5 and in_process_op.payouts.not_voided().count() == 4
        assert in_process_op.payouts_total == in_process_op.client_receives_amount
        page = operador_client.get(change_url(in_process_op))
        assert page.context["op_receives"]["ok"]

    def test_no_role_may_delete_deposits_or_payouts(self):
        from accounts.roles import ROLE_PERMISSIONS

        for perms in ROLE_PERMISSIONS.values():
            assert not {"operations.delete_deposit", "operations.delete_payout"} & perms


# --- History page (LogEntry change messages) -----------------------------------------------------------------


def history_url(op):
    return reverse("admin:operations_operation_history", args=[op.pk])


class TestHistoryPage:
    """The admin's "Histórico" page is built from the field labels it stored untranslated: each one
    needs a Spanish entry, and the rows are named with their amount as every screen shows it."""

    def _post(self, client, op, edit):
        page = client.get(change_url(op))
        data = change_form_data(page)
        edit(data, inline_prefix(page, Deposit))
        data["_continue"] = "1"
        response = client.post(change_url(op), data)
        assert response.status_code == 302, response.context and [
            f.errors for i in response.context["inline_admin_formsets"] for f in i.formset.forms
        ]

    def test_history_is_spanish_with_formatted_amounts(self, trader_client, make_operation, houses):
        op = make_operation(OperationType.SELL, "1000.00")  # the client sends S/ 3,750.00
        pen = op.client.accounts.get(currency=Currency.PEN)

        def add(data, prefix):
            data.update(
                {
                    f"{prefix}-TOTAL_FORMS": 1,
                    f"{prefix}-0-amount": "3700.00",
                    f"{prefix}-0-bank_reference": "778899",
                    f"{prefix}-0-client_account": pen.pk,
                    f"{prefix}-0-house_account": houses[Currency.PEN].pk,
                }
            )

        def change(data, prefix):
            data.update(
                {
                    f"{prefix}-0-amount": "3750.00",
                    f"{prefix}-0-bank_reference": "998877",
                    f"{prefix}-0-file": pdf(),
                    "notes": "Cliente frecuente",
                    "amount_usd": "1000.50",
                }
            )

        self._post(trader_client, op, add)
        self._post(trader_client, op, change)
        html = trader_client.get(history_url(op)).content.decode()
        assert "Agregado abono del cliente “S/ 3,700.00 · 778899”." in html
        assert "Modificado Monto USD y Notas." in html
        assert (
            "Cambios en Importe, Número de operación bancaria y Comprobante para abono del cliente "
            "“S/ 3,750.00 · 998877”." in html
        )
        for english in ("Amount", "Bank operation number", "Voucher", "Notes", "Changed", "Added", "client deposit"):
            assert english not in html, english

    def test_every_stored_label_has_a_spanish_entry(self, make_operation, trader):
        """What construct_change_message stores (labels under translation_override(None)) translates."""
        from django.utils import translation

        from operations import forms as op_forms

        op = make_operation()
        forms = [
            op_forms.OperationChangeForm(instance=op),
            type("F", (op_forms.DepositForm,), {"operation": op, "user": trader})(),
            type("F", (op_forms.PayoutForm,), {"operation": op, "user": trader})(),
            op_forms.HouseBankAccountForm(),
        ]
        for form in forms:
            for name, field in form.fields.items():
                with translation.override(None):
                    stored = str(field.label)
                with translation.override("es"):
                    shown = translation.gettext(stored)
                assert shown != stored or stored == "CCI", f"{type(form).__name__}.{name}: «{stored}» not translated"


@pytest.mark.django_db
def test_operations_search_ignores_accents_and_finds_codes(master_client):
    from operations.tests.factories import OperationFactory

    op = OperationFactory(client=active_client(apellido_paterno="CASTRO", apellido_materno="NÚÑEZ"))
    other = OperationFactory()
    url = "/admin/operations/operation/"
    page = master_client.get(url, {"q": "nunez"}).content.decode()
    assert op.code in page and other.code not in page
    page = master_client.get(url, {"q": other.code.lower()}).content.decode()
    assert other.code in page and op.code not in page
