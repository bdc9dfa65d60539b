"""The index's operations panels (rates waiting for approval, returned operations, the queue) are
read in one query and each shows what its own rule selects, in its own order."""

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from operations import panel_rows, services
from operations.models import Operation, OperationType

pytestmark = pytest.mark.django_db

INDEX = "/admin/"
BUY = OperationType.BUY


def returned(make_operation, fund, trader, operador, reason="Revisar"):
    op = make_operation()
    fund(trader, op)
    services.send_to_process(op, by=trader)
    return services.return_to_pending(op, by=operador, reason=reason, notify=False)


def panel(response, template):
    return next((p["ctx"] for p in response.context["panels"] if p["template"] == template), None)


def test_one_query_reads_the_three_panels_each_in_its_order(make_operation, in_process_op, master, operador):
    first = make_operation(BUY, rate_value="4.0000")
    second = make_operation(BUY, rate_value="4.1000")
    master.get_all_permissions()  # read with the user on a request
    with CaptureQueriesContext(connection) as ctx:
        rows = panel_rows.read(master)
    assert len(ctx.captured_queries) == 1
    assert [op.pk for op in rows[panel_rows.APPROVALS]] == [first.pk, second.pk]  # oldest first
    assert [op.pk for op in rows[panel_rows.QUEUE]] == [in_process_op.pk]
    assert rows[panel_rows.RETURNED] == []  # the Master owns no client

    browser = Client()
    browser.force_login(master)
    response = browser.get(INDEX)
    approvals = panel(response, "operations/panels/approvals.html")
    assert [r["code"] for r in approvals["rows"]] == [first.code, second.code]
    queue = panel(response, "operations/panels/queue.html")
    # The queue's refresh reads its rows on its own: the same rows as the index's read.
    fragment = browser.get(reverse("admin:operations_queue")).json()
    assert [r["id"] for r in queue["rows"]] == fragment["ids"] == [in_process_op.pk]
    assert queue["rows"][0]["operator"] == operador.display_name


def test_the_panels_read_once_per_request(make_operation, in_process_op, master):
    make_operation(BUY, rate_value="4.0000")
    request = RequestFactory().get(INDEX)
    request.user = master
    master.get_all_permissions()  # read with the user on a request
    with CaptureQueriesContext(connection) as ctx:
        assert panel_rows.for_request(request) is panel_rows.for_request(request)
    assert len(ctx.captured_queries) == 1


def test_an_operation_returned_and_waiting_for_approval_shows_in_both_panels(
    make_operation, fund, trader, operador, trader_client
):
    op = returned(make_operation, fund, trader, operador, reason="Tipo de cambio mal digitado")
    Operation.objects.filter(pk=op.pk).update(requires_rate_approval=True, rate_approved_at=None)
    response = trader_client.get(INDEX)
    assert [r["code"] for r in panel(response, "operations/panels/approvals.html")["rows"]] == [op.code]
    returned_ctx = panel(response, "operations/panels/returned.html")
    assert [r["code"] for r in returned_ctx["rows"]] == [op.code]
    assert returned_ctx["rows"][0]["reason"] == "Tipo de cambio mal digitado"
    assert returned_ctx["total"] == 1 and not returned_ctx["capped"]


def test_returned_newest_first_with_the_last_reason(make_operation, fund, trader, operador, trader_client):
    older = returned(make_operation, fund, trader, operador, reason="Primera")
    newer = returned(make_operation, fund, trader, operador)
    services.send_to_process(older, by=trader)
    older = services.return_to_pending(older, by=operador, reason="Segunda", notify=False)
    rows = panel(trader_client.get(INDEX), "operations/panels/returned.html")["rows"]
    assert [(r["code"], r["reason"]) for r in rows] == [(older.code, "Segunda"), (newer.code, "Revisar")]


def test_the_returned_count_stops_at_its_cap(make_operation, fund, trader, operador, trader_client, monkeypatch):
    monkeypatch.setattr(panel_rows, "RETURNED_COUNTED", 2)
    monkeypatch.setattr(panel_rows, "RETURNED_ROWS", 1)
    for _ in range(2):
        returned(make_operation, fund, trader, operador)
    response = trader_client.get(INDEX)
    ctx = panel(response, "operations/panels/returned.html")
    assert (ctx["total"], ctx["capped"], ctx["more"]) == (2, False, 1)
    assert "Y 1 más." in response.content.decode()
    returned(make_operation, fund, trader, operador)
    response = trader_client.get(INDEX)
    ctx = panel(response, "operations/panels/returned.html")
    assert (ctx["total"], ctx["capped"], len(ctx["rows"])) == (2, True, 1)
    html = response.content.decode()
    assert "Más de 2 en total." in html and "+2</span>" in html
