"""The desk refreshes itself: the index's live panels (one JSON view, permission-filtered), the
position page's figures, and the queue's SLA alarm data."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from operations import services
from operations.models import OperationType

pytestmark = pytest.mark.django_db

PANELS = "/admin/panels/"


def panels_of(user):
    browser = Client()
    browser.force_login(user)
    response = browser.get(PANELS)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return {p["key"]: p["html"] for p in response.json()["panels"]}


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(PANELS)
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_a_trader_gets_only_his_own(make_operation, trader, other_trader, client_of_trader):
    from clients.tests.factories import active_client

    mine = make_operation(OperationType.BUY, rate_value="4.0000")
    theirs = make_operation(OperationType.BUY, rate_value="4.1000", client=active_client(owner=other_trader))
    panels = panels_of(trader)
    approvals = panels["operations/panels/approvals.html"]
    assert mine.code in approvals and theirs.code not in approvals
    assert "operations/panels/queue.html" not in panels  # refreshes itself, and not a trader's
    assert "operations/panels/coverage.html" not in panels  # no view_treasury
    today = panels["reports/panels/today.html"]
    assert 'data-figure="ops-today">1<' in today  # his one operation, not the house's two
    assert mine.code not in panels_of(other_trader)["operations/panels/approvals.html"]


def test_the_master_gets_the_house_and_the_warnings(make_operation, master, trader):
    op = make_operation(OperationType.BUY, rate_value="4.0000")
    panels = panels_of(master)
    assert op.code in panels["operations/panels/approvals.html"]
    assert "Aprobar tipo de cambio" in panels["operations/panels/approvals.html"]
    assert 'data-figure="profit-expected"' in panels["reports/panels/today.html"]


def test_panels_query_count_does_not_grow_with_operations(
    make_operation, fund, master, trader, django_assert_max_num_queries
):
    for _ in range(2):
        fund(trader, make_operation(OperationType.BUY, rate_value="4.0000"))
    browser = Client()
    browser.force_login(master)
    with django_assert_max_num_queries(40) as few:
        browser.get(PANELS)
    for _ in range(8):
        fund(trader, make_operation(OperationType.SELL, rate_value="3.0000"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        browser.get(PANELS)


def test_the_index_marks_live_panels_and_loads_the_refresh_without_inline_script(master_client, make_operation):
    make_operation(OperationType.BUY, rate_value="4.0000")
    html = master_client.get("/admin/").content.decode()
    assert 'data-live-panels="/admin/panels/"' in html and "qoricash/js/live.js" in html
    assert 'data-panel="operations/panels/approvals.html" data-live' in html


def test_position_live_view_gives_the_figures_without_auditing(master_client, make_operation):
    from accounts.models import AuditEntry

    make_operation(OperationType.SELL)
    before = AuditEntry.objects.count()
    response = master_client.get(reverse("admin:reports_position_live"))
    assert response.status_code == 200
    html = response.json()["html"]
    assert 'data-figure="profit-expected"' in html and 'data-figure="profit-realised"' in html
    assert AuditEntry.objects.count() == before
    page = master_client.get(reverse("admin:reports_position")).content.decode()
    assert 'id="qc-position-live"' in page and "/admin/reports/position/live/?date=" in page


def test_position_live_needs_the_permission(trader_client):
    assert trader_client.get(reverse("admin:reports_position_live")).status_code == 403


def test_the_queue_refresh_names_the_operations_over_the_sla(settings, in_process_op, operador_client):
    settings.OPERATION_SLA_MINUTES = 0
    data = operador_client.get(reverse("admin:operations_queue")).json()
    assert data["sla"] == [{"id": in_process_op.pk, "code": in_process_op.code}]
    html = operador_client.get("/admin/").content.decode()
    assert 'id="op-queue-sla"' in html and json.dumps(in_process_op.code) in html
    assert "data-op-sla-alarm" in html


def test_a_supervisor_sees_the_sla_of_every_operator(settings, in_process_op, master):
    settings.OPERATION_SLA_MINUTES = 0
    browser = Client()
    browser.force_login(master)
    assert browser.get(reverse("admin:operations_queue")).json()["sla"][0]["code"] == in_process_op.code
    services.cancel_operation(in_process_op, by=master, reason="prueba")
    assert browser.get(reverse("admin:operations_queue")).json()["sla"] == []
