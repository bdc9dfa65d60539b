"""Custom admin views: transition confirmation pages, the operator queue, the index panels, account lookup."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from clients.tests.factories import active_client
from operations.models import EventAction, Operation, OperationStatus
from operations.tests.factories import OperationFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
QUEUE = reverse("admin:operations_queue")
ACCOUNTS = reverse("admin:operations_operation_client_accounts")


def transition_url(op, action):
    return reverse("admin:operations_operation_transition", args=[op.pk, action])


def change_url(op):
    return reverse("admin:operations_operation_change", args=[op.pk])


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


class TestTransitionPages:
    def test_get_confirms_and_changes_nothing(self, trader_client, make_operation, fund, trader):
        op = make_operation()
        fund(trader, op)
        response = trader_client.get(transition_url(op, "send_to_process"))
        assert response.status_code == 200
        html = response.content.decode()
        assert f"Confirme «Enviar a proceso» para la operación {op.code}" in html
        assert "csrfmiddlewaretoken" in html and 'method="post"' in html
        op.refresh_from_db()
        assert op.status == OperationStatus.PENDING

    def test_post_runs_the_service(self, trader_client, make_operation, fund, trader, operador):
        op = make_operation()
        fund(trader, op)
        response = trader_client.post(transition_url(op, "send_to_process"), follow=True)
        op.refresh_from_db()
        assert op.status == OperationStatus.IN_PROCESS and op.assigned_operator == operador
        assert response.redirect_chain[-1][0] == change_url(op)
        assert any("enviada a proceso" in m and "Asignada a" in m for m in messages_of(response))

    def test_domain_error_becomes_a_message_not_a_500(self, trader_client, make_operation, fund, trader):
        op = make_operation()
        fund(trader, op, amount="999.99")  # one cent short
        page = trader_client.get(transition_url(op, "send_to_process"))
        assert "faltan US$ 0.01" in page.content.decode()  # warned before pressing
        response = trader_client.post(transition_url(op, "send_to_process"))
        assert response.status_code == 200
        assert "faltan US$ 0.01" in response.content.decode()
        op.refresh_from_db()
        assert op.status == OperationStatus.PENDING

    def test_reason_required_for_cancel(self, trader_client, make_operation):
        op = make_operation()
        response = trader_client.post(transition_url(op, "cancel"), {"reason": "  "})
        assert response.status_code == 200 and response.context["form"].errors
        op.refresh_from_db()
        assert op.status == OperationStatus.PENDING
        trader_client.post(transition_url(op, "cancel"), {"reason": "El cliente desistió"})
        op.refresh_from_db()
        assert op.status == OperationStatus.CANCELLED
        assert op.events.get(action=EventAction.CANCELLED).reason == "El cliente desistió"

    def test_return_needs_reason(self, operador_client, in_process_op):
        page = operador_client.get(transition_url(in_process_op, "return_to_pending"))
        assert page.context["form"].fields["reason"].required
        operador_client.post(transition_url(in_process_op, "return_to_pending"), {"reason": "Abono no visible"})
        in_process_op.refresh_from_db()
        assert in_process_op.status == OperationStatus.PENDING

    def test_not_allowed_is_403_with_the_reason(self, trader_client, in_process_op):
        response = trader_client.post(transition_url(in_process_op, "complete"))
        assert response.status_code == 403
        html = response.content.decode()
        assert "No tiene permiso para «Completar»" in html and "op-confirm-submit" not in html
        in_process_op.refresh_from_db()
        assert in_process_op.status == OperationStatus.IN_PROCESS

    def test_wrong_status_is_403_with_the_reason(self, trader_client, make_operation):
        op = make_operation()
        response = trader_client.get(transition_url(op, "complete"))
        assert response.status_code == 403
        assert "no se puede «Completar»" in response.content.decode()

    def test_unknown_action_and_invisible_operation_are_404(self, trader_client, other_trader, make_operation):
        op = make_operation()
        assert trader_client.get(transition_url(op, "delete")).status_code == 404
        theirs = OperationFactory(client=active_client(owner=other_trader))
        assert trader_client.get(transition_url(theirs, "cancel")).status_code == 404

    def test_csrf_is_enforced(self, trader, make_operation):
        op = make_operation()
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(trader)
        assert browser.post(transition_url(op, "cancel"), {"reason": "x"}).status_code == 403
        op.refresh_from_db()
        assert op.status == OperationStatus.PENDING

    def test_only_get_and_post(self, trader_client, make_operation):
        op = make_operation()
        assert trader_client.put(transition_url(op, "cancel")).status_code == 405

    def test_master_reassigns(self, master_client, in_process_op, operador):
        other = UserFactory(role="Operador", first_name="Rita", last_name="Ccori")
        page = master_client.get(transition_url(in_process_op, "reassign"))
        choices = [c for c, _label in page.context["form"].fields["operator"].choices if c]
        assert [int(str(c)) for c in choices] == [other.pk]  # the current operator is not offered
        master_client.post(transition_url(in_process_op, "reassign"), {"operator": other.pk, "reason": "Turno"})
        in_process_op.refresh_from_db()
        assert in_process_op.assigned_operator == other

    def test_reassign_with_no_other_operator_is_not_offered(self, master_client, in_process_op, operador):
        """QA: with a single operator the page offered only "---------" and then «Este campo es obligatorio»."""
        page = master_client.get(change_url(in_process_op))
        assert "reassign" not in [t["name"] for t in page.context["op_transitions"]]
        assert transition_url(in_process_op, "reassign") not in page.content.decode()
        response = master_client.get(transition_url(in_process_op, "reassign"))
        html = response.content.decode()
        assert f"No hay otro operador activo al que reasignar la operación {in_process_op.code}." in html
        assert "<form" not in html.split('id="content-main"')[1] and "---------" not in html
        response = master_client.post(transition_url(in_process_op, "reassign"), {"operator": operador.pk})
        assert "No hay otro operador activo" in response.content.decode()
        in_process_op.refresh_from_db()
        assert in_process_op.assigned_operator == operador
        assert not in_process_op.events.filter(action=EventAction.REASSIGNED).exists()

    def test_an_inactive_operator_is_no_reassign_target(self, master_client, in_process_op):
        UserFactory(role="Operador", is_active=False)
        page = master_client.get(change_url(in_process_op))
        assert "reassign" not in [t["name"] for t in page.context["op_transitions"]]
        UserFactory(role="Operador")
        page = master_client.get(change_url(in_process_op))
        assert "reassign" in [t["name"] for t in page.context["op_transitions"]]
        assert master_client.get(transition_url(in_process_op, "reassign")).status_code == 200

    def test_complete_with_voucher(self, operador_client, in_process_op, pay, operador):
        pay(operador, in_process_op)
        response = operador_client.post(transition_url(in_process_op, "complete"), follow=True)
        in_process_op.refresh_from_db()
        assert in_process_op.status == OperationStatus.COMPLETED and in_process_op.processed_by == operador
        assert any("completada" in m for m in messages_of(response))


def test_after_a_client_is_reassigned_its_new_owner_sends_to_process_the_old_one_gets_404(
    client, make_operation, fund, trader, other_trader, master
):
    from clients.services import reassign_clients

    op = make_operation()
    fund(trader, op)
    reassign_clients([op.client], other_trader, by=master)
    client.force_login(trader)
    for action in ("send_to_process", "cancel"):
        assert client.get(transition_url(op, action)).status_code == 404
        assert client.post(transition_url(op, action), {"reason": "x"}).status_code == 404
    assert client.get(change_url(op)).status_code == 404
    client.force_login(other_trader)
    page = client.get(change_url(op))
    assert [t["name"] for t in page.context["op_transitions"]] == ["send_to_process", "cancel"]
    response = client.post(transition_url(op, "send_to_process"))
    assert response.status_code == 302
    op.refresh_from_db()
    assert op.status == OperationStatus.IN_PROCESS and op.trader == trader


class TestQueue:
    def test_operator_sees_own_in_process_with_sla(self, operador_client, operador, trader, settings):
        settings.OPERATION_SLA_MINUTES = 10
        c = active_client(owner=trader)
        now = timezone.now()
        late = OperationFactory(
            client=c,
            status=OperationStatus.IN_PROCESS,
            assigned_operator=operador,
            sent_to_process_at=now - timedelta(minutes=10),
        )
        fresh = OperationFactory(
            client=c,
            status=OperationStatus.IN_PROCESS,
            assigned_operator=operador,
            sent_to_process_at=now - timedelta(minutes=3),
        )
        OperationFactory(
            client=c,
            status=OperationStatus.IN_PROCESS,
            assigned_operator=UserFactory(role="Operador"),
            sent_to_process_at=now,
        )
        OperationFactory(client=c)  # pending: not in the queue
        data = operador_client.get(QUEUE).json()
        assert data["ids"] == [late.pk, fresh.pk] and data["count"] == 2 and data["over_sla"] == 1
        assert f'data-op-id="{late.pk}" class="op-row-sla"' in data["html"]
        assert f'data-op-id="{fresh.pk}" class=""' in data["html"]

    def test_index_panel_first_and_refreshing(self, operador_client, operador, trader):
        op = OperationFactory(
            client=active_client(owner=trader),
            status=OperationStatus.IN_PROCESS,
            assigned_operator=operador,
            sent_to_process_at=timezone.now(),
        )
        response = operador_client.get(INDEX)
        panels = response.context["panels"]
        assert panels[0]["template"] == "operations/panels/queue.html"
        html = response.content.decode()
        assert "Mi cola: operaciones en proceso" in html and op.code in html
        assert f'data-refresh-url="{QUEUE}"' in html and "operations/queue.js" in html

    def test_supervisor_sees_all_in_process(self, master_client, operador, trader):
        c = active_client(owner=trader)
        a = OperationFactory(
            client=c, status=OperationStatus.IN_PROCESS, assigned_operator=operador, sent_to_process_at=timezone.now()
        )
        b = OperationFactory(
            client=c, status=OperationStatus.IN_PROCESS, assigned_operator=None, sent_to_process_at=timezone.now()
        )
        data = master_client.get(QUEUE).json()
        assert set(data["ids"]) == {a.pk, b.pk} and "Sin asignar" in data["html"]

    def test_trader_has_no_queue(self, trader_client):
        assert trader_client.get(QUEUE).status_code == 403
        templates = [p["template"] for p in trader_client.get(INDEX).context["panels"]]
        assert "operations/panels/queue.html" not in templates

    def test_queue_needs_login(self):
        response = Client().get(QUEUE)
        assert response.status_code == 302 and "/login/" in response.url

    def test_queue_query_count(self, operador_client, operador, trader, django_assert_max_num_queries):
        c = active_client(owner=trader)
        for _ in range(15):
            OperationFactory(
                client=c,
                status=OperationStatus.IN_PROCESS,
                assigned_operator=operador,
                sent_to_process_at=timezone.now(),
            )
        with django_assert_max_num_queries(10):
            assert operador_client.get(QUEUE).json()["count"] == 15


class TestReturnedPanel:
    """A returned operation (En proceso → Pendiente) shows on its trader's index, with the reason."""

    PANEL = "operations/panels/returned.html"

    def templates(self, client):
        return [p["template"] for p in client.get(INDEX).context["panels"]]

    def test_trader_sees_own_returned_operations_with_the_reason(
        self, client, in_process_op, operador, trader, other_trader, master, make_operation
    ):
        from operations import services

        make_operation()  # pending, never returned: not listed
        client.force_login(trader)
        assert self.PANEL not in self.templates(client)
        services.return_to_pending(
            in_process_op, by=operador, reason="El abono no figura <script>x</script>", notify=False
        )
        response = client.get(INDEX)
        assert self.PANEL in [p["template"] for p in response.context["panels"]]
        html = response.content.decode()
        assert "Operaciones devueltas" in html and in_process_op.code in html
        assert change_url(in_process_op) in html
        assert "El abono no figura &lt;script&gt;x&lt;/script&gt;" in html
        assert "Devuelta por Ana Pérez" in html and "US$ 1,000.00" in html
        for user in (other_trader, operador, master):  # not theirs, cannot trade, owns no client
            client.force_login(user)
            assert self.PANEL not in self.templates(client), user

    def test_gone_once_sent_again(self, trader_client, in_process_op, operador, trader):
        from operations import services

        services.return_to_pending(in_process_op, by=operador, reason="Revisar", notify=False)
        assert self.PANEL in self.templates(trader_client)
        services.send_to_process(in_process_op, by=trader)
        assert self.PANEL not in self.templates(trader_client)

    def test_query_count_does_not_grow(
        self, trader_client, make_operation, fund, trader, operador, django_assert_max_num_queries
    ):
        from operations import services

        def returned(n):
            for _ in range(n):
                op = make_operation()
                fund(trader, op)
                services.send_to_process(op, by=trader)
                services.return_to_pending(op, by=operador, reason="Revisar", notify=False)

        returned(1)
        with django_assert_max_num_queries(40) as few:
            trader_client.get(INDEX)
        returned(12)
        with django_assert_max_num_queries(len(few.captured_queries) + 1):
            html = trader_client.get(INDEX).content.decode()
        assert html.count('class="op-returned-item"') == 10 and "Y 3 más." in html


class TestRatesPanel:
    def test_shows_current_rate_and_who(self, trader_client, rate):
        html = trader_client.get(INDEX).content.decode()
        assert "3.7000" in html and "3.7500" in html and "Publicado por" in html
        assert "Base 3.7200" not in html  # the house's cost: reports.view_profit only
        assert "Publicar nuevo tipo de cambio" not in html  # only for holders of add_exchangerate

    def test_master_also_reads_the_base(self, master_client, rate):
        assert "Base 3.7200 · publicado por" in master_client.get(INDEX).content.decode()

    def test_master_gets_the_publish_link(self, master_client, rate):
        html = master_client.get(INDEX).content.decode()
        assert reverse("admin:operations_exchangerate_add") in html

    def test_no_rate_warning(self, trader_client):
        assert "No hay tipo de cambio publicado" in trader_client.get(INDEX).content.decode()


class TestClientAccounts:
    def test_own_active_client(self, trader_client, client_of_trader):
        data = trader_client.get(ACCOUNTS, {"client": client_of_trader.pk}).json()
        assert {a["currency"] for a in data["accounts"]} == {"PEN", "USD"}
        for a in data["accounts"]:
            number = client_of_trader.accounts.get(pk=a["id"]).number
            assert number not in a["label"] and a["label"].endswith(number[-4:])  # masked

    def test_other_traders_client_is_404(self, trader_client, other_trader):
        theirs = active_client(owner=other_trader)
        assert trader_client.get(ACCOUNTS, {"client": theirs.pk}).status_code == 404
        assert trader_client.get(ACCOUNTS, {"client": "abc"}).json() == {"accounts": []}

    @pytest.mark.parametrize("value", ["²", "1²", "①", "٣", "-1", "0", " 1", "1.0", "9" * 40, ""])
    def test_anything_but_an_ascii_id_is_an_empty_list_never_a_500(self, trader_client, client_of_trader, value):
        # "²".isdigit() is True but int("²") raises: the lookup used to answer 500 here.
        response = trader_client.get(ACCOUNTS, {"client": value})
        assert response.status_code == 200
        assert response.json() == {"accounts": []}

    def test_needs_add_operation(self, operador_client, client_of_trader):
        assert operador_client.get(ACCOUNTS, {"client": client_of_trader.pk}).status_code == 403


def test_event_history_is_spanish(master_client, in_process_op):
    html = master_client.get(change_url(in_process_op)).content.decode()
    assert "US$ 1,000.00 × 3.7000 = S/ 3,700.00" in html
    assert Operation.objects.count() == 1


class TestVoucherDownloads:
    """Vouchers leave only through the permission-checked download view, scoped like their operation."""

    def test_deposit_and_payout_vouchers(self, client, in_process_op, pay, trader, other_trader, operador):
        from django.urls import reverse

        deposit = in_process_op.deposits.get()
        payout = pay(operador, in_process_op)
        urls = [
            reverse("admin:private_file", kwargs={"kind": k, "pk": o.pk})
            for k, o in (("deposit", deposit), ("payout", payout))
        ]

        def status(url):
            # An unread file response is closed by conftest at teardown; closing it here would also
            # send request_finished, which closes the test's database connection on PostgreSQL.
            return client.get(url).status_code

        client.force_login(trader)
        assert [status(u) for u in urls] == [200, 200]
        client.force_login(other_trader)
        assert [status(u) for u in urls] == [404, 404]
        client.force_login(operador)
        response = client.get(urls[0])
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
