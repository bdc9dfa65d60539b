"""The report pages through the admin: permissions, scoping, audit, query counts, panels, goals admin."""

import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEntry
from clients.tests.factories import active_client, valid_ruc
from operations.models import Operation, OperationStatus
from operations.tests.factories import ExchangeRateFactory
from reports import excel, services, views
from reports.audit_actions import ReportAction
from reports.models import TraderGoal

from .conftest import lima

pytestmark = pytest.mark.django_db
NOW = lima(2026, 11, 20, 18)
POSITION = reverse("admin:reports_position")
POSITION_XLSX = reverse("admin:reports_position_xlsx")
HISTORY_XLSX = reverse("admin:reports_history_xlsx")


def workbook(response):
    assert response.status_code == 200, response
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def history_codes(response):
    ws = workbook(response)[excel.HISTORY_SHEET]
    codes = []
    for row in ws.iter_rows(min_row=2, values_only=True):
        if not row or row[0] is None or str(row[0]).startswith("TOTAL"):
            break
        codes.append(row[0])
    return codes


@pytest.fixture
def acceptance_day(make_op):
    """10,000 USD bought at 3.70 and 6,000 sold at 3.75 on 2026-11-20 (Lima)."""
    return [
        make_op("buy", "10000.00", "3.7000", at=lima(2026, 11, 20, 9)),
        make_op("sell", "6000.00", "3.7500", at=lima(2026, 11, 20, 10), status=OperationStatus.COMPLETED),
    ]


# --- Position ---------------------------------------------------------------------------------


def test_position_needs_view_position(trader_client):
    from django.test import Client

    assert trader_client.get(POSITION).status_code == 403
    assert trader_client.get(POSITION_XLSX).status_code == 403
    response = Client().get(POSITION)  # anonymous: the admin login
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_position_shows_the_acceptance_figures(master_client, acceptance_day):
    response = master_client.get(POSITION, {"date": "2026-11-20"})
    assert response.status_code == 200
    html = response.content.decode()
    for figure, value in {
        "buy-usd": "10,000.00",
        "buy-pen": "37,000.00",
        "buy-avg": "3.7000",
        "sell-usd": "6,000.00",
        "sell-pen": "22,500.00",
        "sell-avg": "3.7500",
        "net-abs": "4,000.00",
        "net-label": "COMPRADOS EN",
        "matched-spread": "300.00",
        "profit-expected": "380.00",
    }.items():
        assert f'data-figure="{figure}">{value}<' in html, figure
    assert "14,800.00" in html  # open position 4,000 × 3.7000
    assert acceptance_day[0].code in html and acceptance_day[1].code in html
    assert "Posición" in html and "Compras" in html and "Ventas" in html  # Spanish UI
    assert 'id="qc-imbalance"' not in html


def test_position_hides_profit_without_view_profit(operador_client, acceptance_day):
    html = operador_client.get(POSITION, {"date": "2026-11-20"}).content.decode()
    assert 'data-figure="net-abs">4,000.00<' in html
    assert 'data-figure="profit-expected"' not in html and 'data-figure="matched-spread"' not in html


def test_position_links_each_operation_to_its_admin_page(master_client, acceptance_day):
    html = master_client.get(POSITION, {"date": "2026-11-20"}).content.decode()
    assert reverse("admin:operations_operation_change", args=[acceptance_day[0].pk]) in html


def test_position_range_and_bad_dates(master_client, make_op):
    make_op("buy", "100.00", at=lima(2026, 11, 18, 9))
    make_op("buy", "200.00", at=lima(2026, 11, 20, 9))
    html = master_client.get(POSITION, {"from": "2026-11-18", "to": "2026-11-20"}).content.decode()
    assert 'data-figure="buy-usd">300.00<' in html

    response = master_client.get(POSITION, {"date": "2026-02-30"})
    assert response.status_code == 200
    assert "no es una fecha válida" in response.content.decode()

    response = master_client.get(POSITION, {"from": "2026-11-20", "to": "2026-11-18"})
    assert response.status_code == 200
    assert "posterior" in response.content.decode()

    assert master_client.get(POSITION_XLSX, {"date": "nope"}).status_code == 302


def test_imbalance_alert_and_critical_rows_on_screen(master_client, make_op):
    with time_machine.travel(NOW, tick=False):
        big = make_op("sell", "12000.00", "3.7500", at=lima(2026, 11, 20, 9))
        html = master_client.get(POSITION, {"date": "2026-11-20"}).content.decode()
    assert 'id="qc-imbalance"' in html and "VENDIDOS EN" in html
    assert 'id="qc-critical"' in html
    assert f'class="qc-critical" data-code="{big.code}"' in html


def table_rows(html, key):
    """{code: (cells, row html)} of one side's table, in the page's order; cells as people read them."""
    body = html.split(f'id="qc-table-{key}"', 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*data-code=.*?</tr>", body, re.S):
        cells = [" ".join(unescape(re.sub(r"<[^>]+>", "", td)).split()) for td in re.findall(r"<td.*?</td>", row, re.S)]
        rows[cells[0].removeprefix("⚠ ")] = (cells, row)
    return rows


@time_machine.travel(NOW, tick=False)
def test_position_rows_on_screen(master_client, make_op, monkeypatch):
    """Each side's table: critical first, then the largest, at most SCREEN_ROWS_PER_SIDE rows, every cell."""
    monkeypatch.setattr(services, "SCREEN_ROWS_PER_SIDE", 4)
    company = active_client(
        document_type="RUC",
        document_number=valid_ruc(77),
        razon_social="Cambios & Cía <Norte> S.A.C.",
        apellido_paterno="",
        apellido_materno="",
        nombres="",
    )
    old_open = make_op("buy", "300.00", at=lima(2026, 11, 19, 9, 5), client=company)  # open 33 h: critical
    big = make_op("buy", "15000.00", "3.7100", at=lima(2026, 11, 19, 10), status=OperationStatus.COMPLETED)
    # Open 23 h: not critical, listed after the critical ones although larger.
    recent = make_op("buy", "400.00", at=lima(2026, 11, 19, 19), status=OperationStatus.IN_PROCESS)
    small = make_op("buy", "100.00", at=lima(2026, 11, 19, 11), status=OperationStatus.COMPLETED)
    make_op("buy", "50.00", at=lima(2026, 11, 19, 12), status=OperationStatus.COMPLETED)  # fifth: Excel only
    make_op("buy", "900.00", at=lima(2026, 11, 19, 13), status=OperationStatus.CANCELLED)
    sell = make_op("sell", "1000.00", "3.7500", at=lima(2026, 11, 19, 23, 59), status=OperationStatus.COMPLETED)

    html = master_client.get(POSITION, {"date": "2026-11-19"}).content.decode()

    buys = table_rows(html, "buy")
    assert list(buys) == [big.code, old_open.code, recent.code, small.code]
    assert "Se muestran 4 de 5 (críticas primero)" in html
    assert [cells for cells, _row in buys.values()] == [
        ["⚠ " + big.code, big.client.display_name, "15,000.00", "3.7100", "55,650.00", "Completada", "10:00"],
        ["⚠ " + old_open.code, "CAMBIOS & CÍA <NORTE> S.A.C.", "300.00", "3.7000", "1,110.00", "Pendiente", "09:05"],
        [recent.code, recent.client.display_name, "400.00", "3.7000", "1,480.00", "En proceso", "19:00"],
        [small.code, small.client.display_name, "100.00", "3.7000", "370.00", "Completada", "11:00"],
    ]
    old_row = buys[old_open.code][1]
    assert 'title="abierta más de 24 h" aria-label="Crítica: abierta más de 24 h"' in old_row
    assert 'title="≥ 10,000.00 USD"' in buys[big.code][1]
    assert 'class="qc-critical"' in old_row and 'class="qc-critical"' not in buys[recent.code][1]
    assert f'href="{reverse("admin:operations_operation_change", args=[old_open.pk])}"' in old_row
    trader = old_open.trader.display_name
    assert f'title="CAMBIOS &amp; CÍA &lt;NORTE&gt; S.A.C. · RUC {valid_ruc(77)} · Ejecutivo: {trader}"' in old_row
    assert [cells[-1] for cells, _row in table_rows(html, "sell").values()] == ["23:59"]
    assert sell.code in table_rows(html, "sell")


def test_position_rows_of_a_range_show_the_day(master_client, make_op):
    op = make_op("buy", "100.00", at=lima(2025, 12, 31, 23, 30))
    html = master_client.get(POSITION, {"from": "2025-12-30", "to": "2025-12-31"}).content.decode()
    assert table_rows(html, "buy")[op.code][0][-1] == "31/12 23:30"
    html = master_client.get(POSITION, {"from": "2025-12-31", "to": "2026-01-01"}).content.decode()
    assert table_rows(html, "buy")[op.code][0][-1] == "31/12/25 23:30"
    assert table_rows(html, "sell") == {}
    assert "Sin operaciones." in html.split('id="qc-table-sell"', 1)[1].split("</tbody>", 1)[0]


def test_position_view_is_audited(master_client, acceptance_day):
    master_client.get(POSITION, {"date": "2026-11-20"})
    master_client.get(POSITION_XLSX, {"date": "2026-11-20"})
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor__username", "message"))
    assert (
        actions[-2][:2] == (ReportAction.POSITION_VIEWED, "m_master")
        and "viernes 20 de noviembre de 2026" in actions[-2][2]
    )
    assert (
        actions[-1][:2] == (ReportAction.POSITION_EXPORTED, "m_master")
        and "QoriCash_Posicion_20-11-2026.xlsx" in actions[-1][2]
    )


def test_position_query_count_does_not_depend_on_operations(master_client, make_op, django_assert_max_num_queries):
    make_op("buy", "100.00", at=lima(2026, 11, 20, 9))
    make_op("sell", "100.00", "3.7500", at=lima(2026, 11, 20, 9))
    master_client.get(POSITION, {"date": "2026-11-20"})  # warm caches (content types, sessions)
    with django_assert_max_num_queries(12) as few:
        master_client.get(POSITION, {"date": "2026-11-20"})
    for i in range(25):
        make_op(
            "sell" if i % 2 else "buy",
            "100.00",
            at=lima(2026, 11, 20, 9),
            status=OperationStatus.COMPLETED if i % 3 else OperationStatus.PENDING,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = master_client.get(POSITION, {"date": "2026-11-20"})
    assert 'data-figure="buy-usd">1,400.00<' in response.content.decode()  # 13 buys of 100 + the first


def test_position_xlsx_file_name_and_type(master_client, acceptance_day):
    response = master_client.get(POSITION_XLSX, {"date": "2026-11-20"})
    assert response["Content-Type"] == views.XLSX
    assert 'filename="QoriCash_Posicion_20-11-2026.xlsx"' in response["Content-Disposition"]
    wb = workbook(response)
    assert wb.sheetnames == ["Posición"]


def test_position_xlsx_for_a_trader_with_the_permission_is_scoped(trader, trader_client, make_op, other_trader):
    from django.contrib.auth.models import Permission

    trader.user_permissions.add(Permission.objects.get(codename="view_position"))
    trader_client.force_login(trader)  # a change of permissions ends the user's open sessions
    make_op("buy", "100.00", at=lima(2026, 11, 20, 9), owner=trader)
    make_op("buy", "700.00", at=lima(2026, 11, 20, 9), owner=other_trader)
    html = trader_client.get(POSITION, {"date": "2026-11-20"}).content.decode()
    assert 'data-figure="buy-usd">100.00<' in html


# --- History ----------------------------------------------------------------------------------


def test_history_needs_export_history(client, master, make_op):
    from accounts.tests.factories import UserFactory

    nobody = UserFactory(username="plain", role=None)
    client.force_login(nobody)
    assert client.get(HISTORY_XLSX).status_code == 403


def test_history_trader_exports_only_its_portfolio(trader_client, trader, other_trader, make_op):
    mine = make_op("buy", owner=trader, at=lima(2026, 11, 20, 9))
    make_op("buy", owner=other_trader, at=lima(2026, 11, 20, 9))
    response = trader_client.get(HISTORY_XLSX)
    assert history_codes(response) == [mine.code]


def test_history_trader_sees_masked_accounts_and_no_user_column(trader_client, trader, make_op):
    op = make_op("buy", owner=trader, at=lima(2026, 11, 20, 9))
    Operation.objects.filter(pk=op.pk).update(source_snapshot="BCP USD 1930012345678")
    ws = workbook(trader_client.get(HISTORY_XLSX))[excel.HISTORY_SHEET]
    header = [c.value for c in ws[1]]
    assert "USUARIO" not in header
    assert ws.cell(2, header.index("CUENTA CARGO") + 1).value == "BCP USD ****5678"


def test_history_master_gets_user_column_and_full_accounts(master_client, make_op):
    op = make_op("buy", at=lima(2026, 11, 20, 9))
    Operation.objects.filter(pk=op.pk).update(source_snapshot="BCP USD 1930012345678")
    ws = workbook(master_client.get(HISTORY_XLSX))[excel.HISTORY_SHEET]
    header = [c.value for c in ws[1]]
    assert header[-1] == "USUARIO"
    assert ws.cell(2, header.index("CUENTA CARGO") + 1).value == "BCP USD 1930012345678"
    assert ws.cell(2, len(header)).value == op.created_by.email


def _filter_data(make_op, trader, other_trader):
    from clients.tests.factories import active_client

    target_client = active_client(owner=trader, document_number="41234567")
    return {
        "hit": make_op(
            "buy", "100.00", client=target_client, status=OperationStatus.COMPLETED, at=lima(2026, 11, 20, 9)
        ),
        "hit2": make_op(
            "sell", "200.00", "3.7500", client=target_client, status=OperationStatus.COMPLETED, at=lima(2026, 11, 21, 9)
        ),
        "wrong_status": make_op("buy", "300.00", client=target_client, at=lima(2026, 11, 20, 9)),
        "wrong_client": make_op(
            "buy", "400.00", owner=other_trader, status=OperationStatus.COMPLETED, at=lima(2026, 11, 20, 9)
        ),
    }


def test_history_export_honours_the_operations_list_filters_and_search(master_client, make_op, trader, other_trader):
    ops = _filter_data(make_op, trader, other_trader)
    response = master_client.get(HISTORY_XLSX, {"status__exact": "completed", "q": "41234567"})
    assert history_codes(response) == [ops["hit2"].code, ops["hit"].code]  # newest first
    response = master_client.get(HISTORY_XLSX, {"status__exact": "completed", "q": "41234567", "type__exact": "buy"})
    assert history_codes(response) == [ops["hit"].code]
    response = master_client.get(HISTORY_XLSX, {"nonsense__exact": "1"})
    assert response.status_code == 302  # invalid filter: back to the list with a message, nothing exported


def test_history_export_matches_the_operations_changelist(master_client, make_op, trader, other_trader):
    """The same querystring selects the same rows, in the same order, as the operations list shows."""
    _filter_data(make_op, trader, other_trader)
    changelist = reverse("admin:operations_operation_changelist")
    for query in (
        {},
        {"q": "41234567"},
        {"status__exact": "completed"},
        {"status__exact": "completed", "q": "41234567"},
    ):
        page = master_client.get(changelist, query)
        if page.status_code != 200:  # a filter this admin does not offer
            continue
        expected = [op.code for op in page.context["cl"].queryset]
        assert history_codes(master_client.get(HISTORY_XLSX, query)) == expected, query
        html = page.content.decode()
        assert 'id="qc-export-history"' in html


def test_history_export_is_audited_with_its_filters(master_client, make_op):
    make_op("buy", at=lima(2026, 11, 20, 9))
    master_client.get(HISTORY_XLSX, {"q": "EXP"})
    entry = AuditEntry.objects.latest("id")
    assert entry.action == ReportAction.HISTORY_EXPORTED and "q=EXP" in entry.message


NOT_OFFERED = "Valor de filtro que la lista no ofrece: {}. No se exportó nada; elija de nuevo los filtros en la lista."


def _export_refused(response, message):
    """The export answered with the list and a Spanish message, not with a file."""
    changelist = reverse("admin:operations_operation_changelist")
    assert response.redirect_chain == [(changelist, 302)]
    assert response.status_code == 200 and "Content-Disposition" not in response
    assert [str(m) for m in response.context["messages"]] == [message]
    assert not AuditEntry.objects.filter(action=ReportAction.HISTORY_EXPORTED).exists()


@pytest.mark.parametrize(
    "query, names",
    [
        ({"status__exact": "zzz"}, "«estado»"),  # the QA case: used to download an empty file
        ({"status__exact": ""}, "«estado»"),
        ({"status": "zzz"}, "«estado»"),  # a plain lookup no sidebar filter consumes
        ({"status__in": "completed,zzz"}, "«estado»"),
        ({"type__exact": "swap", "status__exact": "done"}, "«estado», «tipo»"),
    ],
)
def test_history_export_refuses_a_filter_value_the_list_does_not_offer(master_client, make_op, query, names):
    make_op("buy", at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    response = master_client.get(HISTORY_XLSX, query, follow=True)
    _export_refused(response, NOT_OFFERED.format(names))


@pytest.mark.parametrize("query", [{"created_at__gte": "xx"}, {"nonsense__exact": "1"}, {"created_at__year": "x"}])
def test_history_export_redirects_when_the_changelist_would_show_its_error_page(master_client, make_op, query):
    """Where the operations list answers ?e=1 (IncorrectLookupParameters), the export does not send a file."""
    make_op("buy", at=lima(2026, 11, 20, 9))
    response = master_client.get(HISTORY_XLSX, query, follow=True)
    _export_refused(response, "Los filtros de la lista no son válidos; no se exportó nada.")


def test_history_export_refuses_an_executive_the_list_does_not_offer(
    master_client, make_op, trader, other_trader, operador
):
    mine = make_op("buy", owner=trader, at=lima(2026, 11, 20, 9))
    make_op("buy", owner=other_trader, at=lima(2026, 11, 20, 9))
    response = master_client.get(HISTORY_XLSX, {"trader__id__exact": operador.pk}, follow=True)
    assert "Content-Disposition" not in response and response.redirect_chain
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("Valor de filtro que la lista no ofrece: «")
    assert history_codes(master_client.get(HISTORY_XLSX, {"trader__id__exact": trader.pk})) == [mine.code]


def test_history_export_valid_choice_filters_still_export(master_client, make_op):
    done = make_op("buy", at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    open_op = make_op("sell", "500.00", "3.7500", at=lima(2026, 11, 20, 10))
    make_op("buy", at=lima(2026, 11, 20, 11), status=OperationStatus.CANCELLED)
    codes = history_codes(master_client.get(HISTORY_XLSX, {"status__in": "completed,pending"}))
    assert sorted(codes) == sorted([done.code, open_op.code])
    assert history_codes(master_client.get(HISTORY_XLSX, {"type__exact": "sell"})) == [open_op.code]


# --- Dashboard --------------------------------------------------------------------------------


def _panels(response):
    return {p["template"]: p["ctx"] for p in response.context["panels"]}


@time_machine.travel(NOW, tick=False)
def test_dashboard_master_sees_house_figures_and_profit(master_client, master, make_op):
    ExchangeRateFactory(set_by=master, effective_at=lima(2026, 11, 20, 8))
    make_op("buy", "1000.00", at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    response = master_client.get(reverse("admin:index"))
    panels = _panels(response)
    today = panels["reports/panels/today.html"]
    assert today["whole_house"] and today["figures"]["total"] == 1
    assert today["profit"]["today"].realised == Decimal("20.00")
    html = response.content.decode()
    assert 'data-figure="profit-realised">S/ 20.00<' in html
    assert 'data-figure="profit-expected">S/ 20.00<' in html
    assert 'id="qc-current-rate"' not in html  # the rate has its own panel (operations): not repeated


@time_machine.travel(NOW, tick=False)
def test_dashboard_operador_has_no_profit(operador_client, make_op):
    make_op("buy", "1000.00", at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    panels = _panels(operador_client.get(reverse("admin:index")))
    assert panels["reports/panels/today.html"]["profit"] is None
    assert "reports/panels/goals.html" not in panels


@time_machine.travel(NOW, tick=False)
def test_dashboard_trader_sees_own_portfolio_and_goal(trader_client, trader, other_trader, master, make_op):
    make_op("buy", "1000.00", owner=trader, at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    make_op("buy", "5000.00", owner=other_trader, at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    TraderGoal.objects.create(trader=trader, year=2026, month=11, goal_pen=Decimal("80.00"), set_by=master)
    response = trader_client.get(reverse("admin:index"))
    panels = _panels(response)
    today = panels["reports/panels/today.html"]
    assert not today["whole_house"] and today["figures"]["total"] == 1 and today["profit"] is None
    goal = panels["reports/panels/goals.html"]
    assert goal["mode"] == "own" and goal["progress"]["achieved"] == Decimal("20.00")
    assert goal["progress"]["percent"] == Decimal("25.0")
    html = response.content.decode()
    assert 'data-figure="goal-achieved">S/ 20.00<' in html and "S/ 60.00" in html


@time_machine.travel(NOW, tick=False)
def test_dashboard_master_goal_overview(master_client, master, trader, make_op):
    TraderGoal.objects.create(trader=trader, year=2026, month=11, goal_pen=Decimal("40.00"), set_by=master)
    make_op("buy", "1000.00", owner=trader, at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    goal = _panels(master_client.get(reverse("admin:index")))["reports/panels/goals.html"]
    assert goal["mode"] == "all"
    assert [(r["goal"].trader, r["progress"]["percent"]) for r in goal["rows"]] == [(trader, Decimal("50.0"))]


@time_machine.travel(NOW, tick=False)
def test_dashboard_goal_overview_gives_each_trader_a_name_line_and_a_bar_line(master_client, master, make_op):
    """The panel is one column of the index (about 300 px): no four-column table whose names stack letter by
    letter; each trader is a list item with the whole name (tooltip too), the % and the bar with its amounts."""
    from accounts.tests.factories import UserFactory

    long_name = UserFactory(username="lp", first_name="Luis Alberto", last_name="Paredes Villanueva")
    TraderGoal.objects.create(trader=long_name, year=2026, month=11, goal_pen=Decimal("40.00"), set_by=master)
    make_op("buy", "1000.00", owner=long_name, at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    html = master_client.get(reverse("admin:index")).content.decode()
    panel = html[html.index('id="qc-panel-goals"') :]
    panel = panel[: panel.index("</ul>")]
    assert "<table" not in panel and 'class="qc-goal-item" data-trader="lp"' in panel
    assert (
        '<span class="qc-goal-name" title="Luis Alberto Paredes Villanueva">Luis Alberto Paredes Villanueva<' in panel
    )
    assert 'data-figure="goal-percent">50.0 %<' in panel
    assert 'role="progressbar"' in panel and 'aria-valuenow="50' in panel
    assert "S/ 20.00 de S/ 40.00" in panel


@time_machine.travel(NOW, tick=False)
def test_dashboard_query_count_does_not_depend_on_operations(
    master_client, master, trader, make_op, django_assert_max_num_queries
):
    ExchangeRateFactory(set_by=master, effective_at=lima(2026, 11, 20, 8))
    TraderGoal.objects.create(trader=trader, year=2026, month=11, goal_pen=Decimal("40.00"), set_by=master)
    make_op("buy", "100.00", at=lima(2026, 11, 20, 9))
    master_client.get(reverse("admin:index"))
    with django_assert_max_num_queries(30) as few:  # a few per panel: rates, approvals, balances, today, goals
        master_client.get(reverse("admin:index"))
    for i in range(20):
        make_op(
            "sell" if i % 2 else "buy",
            "100.00",
            owner=trader,
            at=lima(2026, 11, 20, 9),
            status=OperationStatus.COMPLETED,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        master_client.get(reverse("admin:index"))


def test_panel_builders_and_templates_stay_within_a_few_queries(rf, trader, master, django_assert_max_num_queries):
    """The panels alone (whatever else the index shows): a fixed handful of queries, none in the templates."""
    from django.template.loader import render_to_string

    TraderGoal.objects.create(trader=trader, year=2026, month=11, goal_pen=Decimal("40.00"), set_by=master)
    for user in (master, trader):
        request = rf.get("/admin/")
        request.user = user
        with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(8):
            today = views.dashboard_panel(request)
            goals = views.goals_panel(request)
            render_to_string("reports/panels/today.html", {"ctx": today})
            render_to_string("reports/panels/goals.html", {"ctx": goals})


# --- TraderGoal admin -------------------------------------------------------------------------


def test_master_sets_a_goal_for_an_eligible_trader_only(master_client, master, trader, operador):
    add = reverse("admin:reports_tradergoal_add")
    page = master_client.get(add)
    choices = [c[0].value for c in page.context["adminform"].form.fields["trader"].choices if c[0]]
    assert trader.pk in choices and operador.pk not in choices and master.pk not in choices

    response = master_client.post(add, {"trader": trader.pk, "year": 2026, "month": 11, "goal_pen": "1500.00"})
    assert response.status_code == 302
    goal = TraderGoal.objects.get()
    assert goal.set_by == master and goal.goal_pen == Decimal("1500.00")
    entry = AuditEntry.objects.filter(action=ReportAction.GOAL_CREATED).get()
    assert entry.object_id == str(goal.pk) and entry.actor == master

    response = master_client.post(add, {"trader": operador.pk, "year": 2026, "month": 11, "goal_pen": "10"})
    assert response.status_code == 200 and TraderGoal.objects.count() == 1

    # The same trader and month twice is refused with a Spanish message.
    response = master_client.post(add, {"trader": trader.pk, "year": 2026, "month": 11, "goal_pen": "10"})
    assert response.status_code == 200 and "ya tiene una meta para noviembre de 2026" in response.content.decode()


def test_changing_a_goal_changes_only_the_amount_and_is_audited(master_client, master, trader, other_trader):
    goal = TraderGoal.objects.create(trader=trader, year=2026, month=11, goal_pen=Decimal("100.00"), set_by=master)
    url = reverse("admin:reports_tradergoal_change", args=[goal.pk])
    response = master_client.post(url, {"goal_pen": "250.00", "trader": other_trader.pk, "month": 1})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.goal_pen, goal.trader, goal.month) == (Decimal("250.00"), trader, 11)
    entry = AuditEntry.objects.filter(action=ReportAction.GOAL_CHANGED).get()
    assert entry.changes["goal_pen"] == ["100.00", "250.00"]


def test_goal_list_shows_computed_progress_and_traders_see_only_theirs(
    master_client, trader_client, master, trader, other_trader, make_op
):
    TraderGoal.objects.create(trader=trader, year=2026, month=11, goal_pen=Decimal("40.00"), set_by=master)
    TraderGoal.objects.create(trader=other_trader, year=2026, month=11, goal_pen=Decimal("40.00"), set_by=master)
    make_op("buy", "1000.00", owner=trader, at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    changelist = reverse("admin:reports_tradergoal_changelist")
    html = master_client.get(changelist).content.decode()
    assert "S/ 20.00" in html and "50.0%" in html

    response = trader_client.get(changelist)
    assert response.status_code == 200
    assert [g.trader for g in response.context["cl"].result_list] == [trader]
    assert trader_client.get(reverse("admin:reports_tradergoal_add")).status_code == 403


def test_trader_views_its_own_goal_read_only(trader_client, master, trader, other_trader, make_op):
    mine = TraderGoal.objects.create(trader=trader, year=2026, month=11, goal_pen=Decimal("40.00"), set_by=master)
    theirs = TraderGoal.objects.create(
        trader=other_trader, year=2026, month=11, goal_pen=Decimal("40.00"), set_by=master
    )
    make_op("buy", "1000.00", owner=trader, at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    page = trader_client.get(reverse("admin:reports_tradergoal_change", args=[mine.pk]))
    assert page.status_code == 200 and "S/ 20.00" in page.content.decode()
    response = trader_client.post(reverse("admin:reports_tradergoal_change", args=[mine.pk]), {"goal_pen": "1.00"})
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.goal_pen == Decimal("40.00")
    response = trader_client.get(reverse("admin:reports_tradergoal_change", args=[theirs.pk]))
    assert response.status_code == 302  # not in its queryset: "does not exist"


def test_goals_cannot_be_deleted(master_client, master, trader):
    goal = TraderGoal.objects.create(trader=trader, year=2026, month=11, goal_pen=Decimal("40.00"), set_by=master)
    assert master_client.get(reverse("admin:reports_tradergoal_delete", args=[goal.pk])).status_code == 403


def test_period_from_query_defaults_and_errors():
    today = dt.date(2026, 11, 20)
    assert views.period_from_query({}, today) == (today, today, None)
    assert views.period_from_query({"date": "2026-11-19"}, today)[:2] == (dt.date(2026, 11, 19),) * 2
    start, end, error = views.period_from_query({"from": "2026-11-21", "to": "2026-11-19"}, today)
    assert (start, end) == (today, today) and error


def test_position_is_in_the_navigation_for_holders_only(operador, trader):
    from django.test import Client

    staff, own = Client(), Client()
    staff.force_login(operador)
    own.force_login(trader)
    page = staff.get("/admin/").content.decode()
    assert 'href="/admin/reports/position/"' in page
    assert ">Posición<" in page
    assert staff.get("/admin/reports/").status_code == 200  # the app page lists it too
    assert 'href="/admin/reports/position/"' not in own.get("/admin/").content.decode()
