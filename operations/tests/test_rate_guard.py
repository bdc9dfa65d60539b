"""The negotiated-rate guard: tolerance edge, loss against base, approval, rate changes, form, panel.

The `rate` fixture publishes base 3.7200, compra 3.7000, venta 3.7500; RATE_TOLERANCE is 0.0100.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry
from clients.tests.factories import active_client
from operations import services
from operations.models import EventAction, Operation, OperationStatus, OperationType
from operations.tests.conftest import accounts_for, change_form_data, text_of
from operations.transitions import TRANSITIONS

pytestmark = pytest.mark.django_db

BUY, SELL = OperationType.BUY, OperationType.SELL
ADD = "/admin/operations/operation/add/"


@pytest.mark.parametrize(
    ("op_type", "rate_value", "needs"),
    [
        (BUY, "3.7100", False),  # compra 3.7000 + tolerance: accepted
        (BUY, "3.7101", True),  # one ten-thousandth past it
        (BUY, "3.6000", False),  # better for the house
        (SELL, "3.7400", False),  # venta 3.7500 − tolerance
        (SELL, "3.7399", True),
        (SELL, "3.9000", False),
    ],
)
def test_tolerance_edge(make_operation, op_type, rate_value, needs):
    op = make_operation(op_type, rate_value=rate_value)
    assert op.requires_rate_approval is needs
    assert op.published_rate == (Decimal("3.7000") if op_type == BUY else Decimal("3.7500"))
    assert op.status == OperationStatus.PENDING


@pytest.mark.parametrize(("op_type", "rate_value"), [(BUY, "3.7201"), (SELL, "3.7199")])
def test_a_loss_against_base_needs_approval_even_within_tolerance(settings, make_operation, op_type, rate_value):
    settings.RATE_TOLERANCE = "0.5000"
    op = make_operation(op_type, rate_value=rate_value)
    assert op.profit_pen < 0
    assert op.requires_rate_approval


def test_the_published_rate_is_never_flagged(make_operation):
    assert not make_operation(BUY).requires_rate_approval
    assert not make_operation(SELL).requires_rate_approval


def test_send_to_process_refused_until_approved_and_approval_audited(make_operation, fund, trader, master):
    op = make_operation(BUY, rate_value="4.9000")
    fund(trader, op)
    with pytest.raises(ValidationError) as exc:
        services.send_to_process(op, by=trader)
    assert "aprobación" in text_of(exc.value)
    with pytest.raises(PermissionDenied):
        services.approve_rate(op, by=trader, reason="yo mismo")
    with pytest.raises(ValidationError):
        services.approve_rate(op, by=master, reason=" ")
    op = services.approve_rate(op, by=master, reason="Cliente preferente, acordado con gerencia")
    assert op.rate_approved_by == master and op.rate_approved_at is not None
    entry = AuditEntry.objects.get(action="operation.approve_rate")
    assert entry.message == "Cliente preferente, acordado con gerencia" and entry.actor == master
    assert op.events.filter(action=EventAction.RATE_APPROVED).exists()
    op = services.send_to_process(op, by=trader)
    assert op.status == OperationStatus.IN_PROCESS


def test_approving_what_needs_no_approval_is_refused(make_operation, master):
    op = make_operation(BUY)
    with pytest.raises(ValidationError, match="no tiene un tipo de cambio pendiente"):
        services.approve_rate(op, by=master, reason="x")


def test_trader_changing_the_rate_lifts_or_renews_the_guard(make_operation, fund, trader, master):
    op = make_operation(BUY, rate_value="3.8000")
    assert op.requires_rate_approval
    op = services.update_rate(op, by=trader, rate="3.7050")
    assert not op.requires_rate_approval
    assert op.amount_pen == Decimal("3705.00") and op.profit_pen == Decimal("15.00")
    assert AuditEntry.objects.filter(action="operation.update_rate").exists()
    op = services.update_rate(op, by=trader, rate="3.8000")
    op = services.approve_rate(op, by=master, reason="ok")
    op = services.update_rate(op, by=trader, rate="3.8100")  # a new rate: the approval was for the old one
    assert op.awaiting_rate_approval
    fund(trader, op)
    with pytest.raises(ValidationError):
        services.send_to_process(op, by=trader)


def test_only_the_clients_trader_changes_the_rate_while_pending(make_operation, other_trader, operador):
    op = make_operation(BUY, rate_value="3.8000")
    for user in (other_trader, operador):
        with pytest.raises(PermissionDenied):
            services.update_rate(op, by=user, rate="3.7000")
    assert Operation.objects.get(pk=op.pk).rate == Decimal("3.8000")


class TestForm:
    def data(self, client_of_trader, **overrides):
        source, destination = accounts_for(client_of_trader, BUY)
        return {
            "client": client_of_trader.pk,
            "type": BUY,
            "amount_usd": "1000.00",
            "rate": "4.9000",
            "notes": "",
            "source_account": source.pk,
            "destination_account": destination.pk,
            **overrides,
        }

    def test_the_form_warns_with_published_rate_and_profit_before_saving(self, trader_client, rate, client_of_trader):
        response = trader_client.post(ADD, self.data(client_of_trader))
        assert response.status_code == 200
        html = response.content.decode()
        assert "compra publicada 3.7000" in html
        # The profit gives the base rate away: only profit readers and supervisors read it.
        assert "S/ -1,180.00" not in html and "pierde frente al tipo de cambio base." in html
        assert 'name="confirm_rate"' in html and 'type="checkbox"' in html
        assert not Operation.objects.exists()
        response = trader_client.post(ADD, self.data(client_of_trader, confirm_rate="on"))
        assert response.status_code == 302
        op = Operation.objects.get()
        assert op.awaiting_rate_approval
        page = trader_client.get(reverse("admin:operations_operation_change", args=[op.pk])).content.decode()
        assert 'id="op-rate-guard"' in page and "Requiere aprobación" in page

    def test_a_supervisor_reads_the_profit_in_the_warning(self, master_client, rate, master):
        client = active_client(owner=master)
        response = master_client.post(ADD, self.data(client))
        html = response.content.decode()
        assert "S/ -1,180.00" in html  # 1,000.00 × (3.7200 − 4.9000)
        assert "pierde frente al tipo de cambio base 3.7200." in html

    def test_the_add_page_carries_the_guard_for_the_live_warning(self, trader_client, rate):
        html = trader_client.get(ADD).content.decode()
        assert '"tolerance": "0.0100"' in html and '"base"' not in html
        assert 'data-guard-title="Requiere aprobación"' in html

    def test_the_trader_changes_the_rate_on_the_change_form(self, trader_client, make_operation):
        op = make_operation(BUY, rate_value="3.8000")
        url = reverse("admin:operations_operation_change", args=[op.pk])
        data = change_form_data(trader_client.get(url))
        assert data["rate"] == Decimal("3.8000")
        response = trader_client.post(url, {**data, "rate": "3.7000", "_continue": "1"})
        assert response.status_code == 302, response.content.decode()[:2000]
        op.refresh_from_db()
        assert op.rate == Decimal("3.7000") and not op.requires_rate_approval


def test_approvals_panel_for_supervisors_and_the_trader(make_operation, master, trader, other_trader):
    op = make_operation(BUY, rate_value="4.0000")
    browser = Client()
    browser.force_login(master)
    html = browser.get("/admin/").content.decode()
    assert 'id="op-approvals-panel"' in html and op.code in html and "Aprobar tipo de cambio" in html
    browser.force_login(trader)
    html = browser.get("/admin/").content.decode()
    assert 'id="op-approvals-panel"' in html and op.code in html and "Aprobar tipo de cambio" not in html
    browser.force_login(other_trader)
    assert 'id="op-approvals-panel"' not in browser.get("/admin/").content.decode()


def test_the_approvals_panel_shows_the_profit_to_supervisors_only(make_operation, master, trader):
    # With the rate and the amount, one operation's profit gives the base rate away.
    op = make_operation(BUY, rate_value="4.0000")
    profit = f"S/ {op.profit_pen:,.2f}"
    browser = Client()
    browser.force_login(master)
    assert profit in browser.get("/admin/").content.decode()
    browser.force_login(trader)
    for html in (browser.get("/admin/").content.decode(), browser.get(reverse("admin:panels")).content.decode()):
        assert op.code in html
        assert profit not in html and "Utilidad" not in html.split(op.code, 1)[1][:600]


def test_approval_is_a_declared_transition():
    assert TRANSITIONS["approve_rate"].run is services.approve_rate


def test_approve_page_through_the_admin(make_operation, master, master_client, trader):
    op = make_operation(BUY, rate_value="4.0000")
    url = reverse("admin:operations_operation_transition", args=[op.pk, "approve_rate"])
    assert master_client.get(url).status_code == 200
    assert master_client.post(url, {"reason": "Autorizado"}).status_code == 302
    op.refresh_from_db()
    assert op.rate_approved_by == master
