"""Acceptance in a real browser: the Master opens today's position, switches to yesterday and downloads
both Excel files; the totals in the files match the screen to the cent.

Screenshots: test-artifacts/screenshots/reports-*.png
"""

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from operations.models import Operation, OperationStatus
from reports import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def screen_decimal(page, figure):
    text = page.locator(f'[data-figure="{figure}"]').first.inner_text()
    return Decimal(text.replace(",", "").replace("+", "").strip())


def cents(value):
    """An Excel number back to the cent (openpyxl reads floats)."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def rows_by_label(path, sheet):
    ws = load_workbook(path)[sheet]
    return {row[0]: row for row in ws.iter_rows(values_only=True) if row and isinstance(row[0], str)}


@pytest.fixture
def two_days(make_op, master, trader):
    now = services.lima_now()
    yesterday = now - dt.timedelta(days=1)
    today_ops = [
        make_op("buy", "10000.00", "3.7000", status=OperationStatus.COMPLETED),
        make_op("sell", "6000.00", "3.7500"),
        make_op("sell", "2000.00", "3.7500", status=OperationStatus.CANCELLED),
    ]
    yesterday_ops = [
        make_op("buy", "1234.56", "3.7012", at=yesterday, owner=trader, status=OperationStatus.COMPLETED),
        make_op("sell", "7000.00", "3.7523", at=yesterday, status=OperationStatus.IN_PROCESS),
        make_op("sell", "250.25", "3.7499", at=yesterday, owner=trader, status=OperationStatus.COMPLETED),
    ]
    return now.date(), yesterday.date(), today_ops, yesterday_ops


def check_position_file(path, page):
    rows = rows_by_label(path, "Posición")
    total = rows["TOTAL COMPRAS"]
    assert cents(total[2]) == screen_decimal(page, "buy-total-usd")
    assert cents(total[4]) == screen_decimal(page, "buy-total-pen")
    assert cents(total[9]) == screen_decimal(page, "sell-total-usd")
    assert cents(total[11]) == screen_decimal(page, "sell-total-pen")
    assert cents(rows["Compras"][2]) == screen_decimal(page, "buy-usd")
    assert cents(rows["Ventas"][4]) == screen_decimal(page, "sell-pen")
    assert Decimal(str(rows["Compras"][3])) == screen_decimal(page, "buy-avg")
    assert Decimal(str(rows["Ventas"][3])) == screen_decimal(page, "sell-avg")
    assert cents(rows["USD neto (comprados − vendidos)"][2]) == screen_decimal(page, "net-usd")
    assert rows["USD neto (comprados − vendidos)"][5] == page.locator('[data-figure="net-label"]').inner_text()
    assert cents(rows["Utilidad esperada"][4]) == screen_decimal(page, "profit-expected")
    assert cents(rows["Utilidad realizada"][4]) == screen_decimal(page, "profit-realised")
    assert cents(rows["Spread del volumen calzado"][4]) == screen_decimal(page, "matched-spread")


def test_master_position_today_yesterday_and_both_excel_files(
    page, live_server, admin_login, screenshot_dir, master, two_days, tmp_path
):
    today, yesterday, today_ops, yesterday_ops = two_days
    admin_login(page, master.username)

    # The dashboard panel leads to the position.
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#qc-panel-today")).to_be_visible()
    expect(page.locator('#qc-panel-today [data-figure="ops-today"]')).to_have_text("3")
    page.screenshot(path=screenshot_dir / "reports-dashboard-master.png", full_page=True)
    page.click("#qc-panel-today >> text=Posición del día")

    # Today: the acceptance figures.
    expect(page.locator("#qc-today")).to_have_class("qc-chip qc-chip-active")
    expect(page.locator('[data-figure="buy-avg"]')).to_have_text("3.7000")
    expect(page.locator('[data-figure="sell-avg"]')).to_have_text("3.7500")
    expect(page.locator('[data-figure="net-abs"]')).to_have_text("4,000.00")
    expect(page.locator('[data-figure="net-label"]')).to_have_text("COMPRADOS EN")
    expect(page.locator('[data-figure="matched-spread"]')).to_have_text("300.00")
    expect(page.locator(f'#qc-table-buy tr[data-code="{today_ops[0].code}"]')).to_be_visible()
    expect(page.locator(f'tr[data-code="{today_ops[2].code}"]')).to_have_count(0)  # cancelled
    page.screenshot(path=screenshot_dir / "reports-position-today.png", full_page=True)

    with page.expect_download() as info:
        page.click("#qc-download-position")
    download = info.value
    assert download.suggested_filename == f"QoriCash_Posicion_{today:%d-%m-%Y}.xlsx"
    today_file = tmp_path / download.suggested_filename
    download.save_as(today_file)
    check_position_file(today_file, page)

    # Yesterday.
    page.click("#qc-yesterday")
    expect(page.locator("#qc-yesterday")).to_have_class("qc-chip qc-chip-active")
    expect(page.locator("#qc-date")).to_have_value(yesterday.isoformat())
    expect(page.locator('[data-figure="buy-total-usd"]')).to_have_text("1,234.56")
    expect(page.locator('[data-figure="sell-total-usd"]')).to_have_text("7,250.25")
    # 26,266.10 + 938.41 = 27,204.51 PEN over 7,250.25 USD = 3.75221… → 3.7522
    expect(page.locator('[data-figure="sell-total-pen"]')).to_have_text("27,204.51")
    expect(page.locator('[data-figure="sell-avg"]')).to_have_text("3.7522")
    expect(page.locator('[data-figure="net-label"]')).to_have_text("VENDIDOS EN")
    expect(page.locator("#qc-imbalance")).to_be_visible()  # 6,015.69 USD sold > 5,000
    expect(page.locator("#qc-imbalance")).to_contain_text(
        "Posición neta: vendimos 6,015.69 USD más de lo que compramos, por encima del límite de 5,000.00 USD."
    )
    page.screenshot(path=screenshot_dir / "reports-position-yesterday.png", full_page=True)
    page.emulate_media(color_scheme="dark")
    page.reload()
    page.screenshot(path=screenshot_dir / "reports-position-yesterday-dark.png", full_page=True)
    page.emulate_media(color_scheme="light")

    with page.expect_download() as info:
        page.click("#qc-download-position")
    download = info.value
    assert download.suggested_filename == f"QoriCash_Posicion_{yesterday:%d-%m-%Y}.xlsx"
    yesterday_file = tmp_path / download.suggested_filename
    download.save_as(yesterday_file)
    check_position_file(yesterday_file, page)

    # History: the "Exportar Excel" button of the operations list, with a search applied.
    target = yesterday_ops[1]
    page.goto(f"{live_server.url}/admin/operations/operation/?q={target.code}")
    expect(page.locator("#qc-export-history")).to_be_visible()
    page.screenshot(path=screenshot_dir / "reports-operations-list.png", full_page=True)
    trigger = "#qc-export-history"
    with page.expect_download() as info:
        page.click(trigger)
    download = info.value
    assert download.suggested_filename.startswith("QoriCash_Historial_de_operaciones_")
    history_file = tmp_path / download.suggested_filename
    download.save_as(history_file)
    ws = load_workbook(history_file)["Historial de Operaciones"]
    assert ws["A2"].value == target.code and ws["A3"].value is None  # only the searched operation
    totals = rows_by_label(history_file, "Historial de Operaciones")
    total = totals["TOTAL (sin canceladas)"]
    assert cents(total[4]) == Decimal("7000.00") and cents(total[6]) == Decimal("26266.10")


def test_trader_dashboard_goal_and_master_goal_list(
    page, live_server, admin_login, screenshot_dir, master, trader, make_op
):
    from reports.models import TraderGoal

    now = services.lima_now()
    TraderGoal.objects.create(trader=trader, year=now.year, month=now.month, goal_pen=Decimal("80.00"), set_by=master)
    make_op("buy", "1000.00", "3.7000", owner=trader, status=OperationStatus.COMPLETED)  # profit 20.00
    make_op("sell", "500.00", "3.7500", owner=trader)

    admin_login(page, trader.username)
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#qc-panel-today h2")).to_contain_text("su cartera")
    expect(page.locator('#qc-panel-today [data-figure="ops-today"]')).to_have_text("2")
    expect(page.locator('[data-figure="goal-achieved"]')).to_have_text("S/ 20.00")
    expect(page.locator('[data-figure="goal-target"]')).to_have_text("S/ 80.00")
    expect(page.locator('[data-figure="goal-percent"]')).to_contain_text("25.0 %")
    expect(page.locator('[data-figure="profit-realised"]')).to_have_count(0)  # no reports.view_profit
    page.screenshot(path=screenshot_dir / "reports-dashboard-trader.png", full_page=True)

    page.context.clear_cookies()
    admin_login(page, master.username)
    page.goto(f"{live_server.url}/admin/reports/tradergoal/")
    expect(page.locator("#result_list")).to_contain_text("S/ 20.00")
    page.screenshot(path=screenshot_dir / "reports-goals-list.png", full_page=True)
    page.goto(f"{live_server.url}/admin/reports/tradergoal/add/")
    expect(page.locator("#id_trader")).to_contain_text(trader.username)
    expect(page.locator("#id_trader")).not_to_contain_text(master.username)
    page.screenshot(path=screenshot_dir / "reports-goal-add.png", full_page=True)


# Cells of the position tables whose content does not fit (the client column is allowed to: it shrinks,
# two lines at most then an ellipsis, its full name in the tooltip).
CLIPPED_FIGURES = """() => Array.from(document.querySelectorAll('.qc-side-table td, .qc-side-table th'))
    .filter(e => !e.classList.contains('qc-client') && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.innerText.trim())"""
OVERFLOWING_TABLES = """() => Array.from(document.querySelectorAll('.qc-side-table'))
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.id)"""


def test_position_totals_and_goal_names_fit_at_1400_and_1280(
    page, live_server, admin_login, screenshot_dir, master, trader, make_op
):
    """QA at 1400×900: the totals rows were cut ("30,104.…") and the goals panel stacked the traders' names
    letter by letter. Every figure must be whole at 1400 and 1280 px; only the client name gives way."""
    from clients.tests.factories import active_client, valid_ruc
    from reports.models import TraderGoal

    long_name = "DISTRIBUIDORA EL SOL DE LIMA EMPRESA INDIVIDUAL DE RESPONSABILIDAD LIMITADA"
    client = active_client(
        owner=trader,
        document_type="RUC",
        document_number=valid_ruc(11),
        razon_social=long_name,
        apellido_paterno="",
        apellido_materno="",
        nombres="",
    )
    # Amounts as wide as a busy day gets: seven-figure USD and PEN totals on each side.
    for i in range(4):
        make_op("buy", "487654.32", "3.7415", client=client)  # open: no profit yet, the goal stays at 0.0 %
        make_op("sell", "412345.67", "3.7651", client=client)
    trader.first_name, trader.last_name = "Luis Alberto", "Paredes Villanueva"
    trader.save(update_fields=["first_name", "last_name"])
    now = services.lima_now()
    TraderGoal.objects.create(trader=trader, year=now.year, month=now.month, goal_pen=Decimal("900.00"), set_by=master)

    admin_login(page, master.username)
    for width in (1400, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/admin/reports/position/")
        expect(page.locator('[data-figure="buy-total-usd"]')).to_have_text("1,950,617.28")
        expect(page.locator('[data-figure="buy-total-pen"]')).to_have_text("7,298,234.56")  # 4 × 1,824,558.64
        assert page.evaluate(CLIPPED_FIGURES) == [], width
        assert page.evaluate(OVERFLOWING_TABLES) == [], width  # no scrollbar needed either
        total_row = page.locator("#qc-table-buy tr.qc-total")
        expect(total_row.locator("th")).to_have_text("Total (4)")
        for cell in total_row.locator("td.qc-num").all():  # whole and inside the window
            box = cell.bounding_box()
            assert box["x"] + box["width"] <= width, (width, cell.inner_text())
        name = page.locator("#qc-table-buy td.qc-client").first
        assert long_name in name.get_attribute("title")
        page.screenshot(path=screenshot_dir / f"reports-position-{width}.png", full_page=True)

        page.goto(f"{live_server.url}/admin/")
        goals = page.locator("#qc-panel-goals")
        item = goals.locator(f'li[data-trader="{trader.username}"]')
        name = item.locator(".qc-goal-name")
        expect(name).to_have_attribute("title", "Luis Alberto Paredes Villanueva")
        line_height = page.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20", name.element_handle())
        assert name.bounding_box()["height"] <= line_height * 1.5, width  # one line, not a letter per line
        panel = goals.bounding_box()
        for part in (item.locator(".qc-goal-pct"), item.locator(".qc-goal-bar"), item.locator(".qc-goal-amounts")):
            box = part.bounding_box()
            assert box["width"] > 0 and box["x"] + box["width"] <= panel["x"] + panel["width"], (width, part)
        expect(item.locator(".qc-goal-pct")).to_have_text("0.0 %")
        goals.screenshot(path=screenshot_dir / f"reports-goals-panel-{width}.png")


def test_profit_reads_the_same_on_the_index_and_the_position_page(
    page, live_server, admin_login, screenshot_dir, master, two_days, make_op
):
    now = services.lima_now()
    # Created yesterday, completed today: realised today, expected yesterday.
    make_op(
        "buy",
        "500.00",
        at=now - dt.timedelta(days=1),
        status=OperationStatus.COMPLETED,
        completed_at=now - dt.timedelta(minutes=5),
    )
    admin_login(page, master.username)
    page.goto(f"{live_server.url}/admin/")

    def money(locator):
        return Decimal(locator.inner_text().replace("S/", "").replace(",", "").strip())

    index = {
        k: money(page.locator(f'#qc-panel-today [data-figure="{k}"]')) for k in ("profit-realised", "profit-expected")
    }
    # The live refresh rebuilds the same figures.
    page.evaluate("document.querySelector('[data-live-panels]').qcRefresh()")
    page.wait_for_timeout(1000)
    assert money(page.locator('#qc-panel-today [data-figure="profit-realised"]')) == index["profit-realised"]
    page.click("#qc-panel-today >> text=Posición del día")
    position = {k: screen_decimal(page, k) for k in ("profit-realised", "profit-expected")}
    assert index == position
    figures = services.profit_figures(Operation.objects.all(), now.date())
    assert (figures.realised, figures.expected) == (position["profit-realised"], position["profit-expected"])
    assert figures.realised != figures.expected  # two different figures, both shown
    page.evaluate("document.getElementById('qc-position-live').qcRefresh()")
    expect(page.locator("[data-live-status]")).to_contain_text("Actualizado")
    assert screen_decimal(page, "profit-expected") == position["profit-expected"]
    page.screenshot(path=screenshot_dir / "reports-profit-position.png", full_page=True)
