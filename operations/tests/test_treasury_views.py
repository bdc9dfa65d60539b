"""The "Saldos bancarios" pages through the admin client: balances, forms, reconciliation, Excel."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from clients.models import Currency
from operations import services, treasury
from operations.models import BankStatement, TreasuryEntry, TreasuryKind

pytestmark = pytest.mark.django_db

URL = "/admin/operations/treasury/"


def today():
    return treasury.lima_today()


def test_master_sees_balances_moving_and_a_zero_difference(master, master_client, operador, in_process_op, houses, pay):
    """The acceptance path: openings for two accounts, an operation completed, a bank fee; the page
    shows each balance moved by exactly those amounts and a statement equal to it differs by 0.00."""
    usd, pen = houses[Currency.USD], houses[Currency.PEN]
    for account, amount in ((usd, "10,000.00"), (pen, "50000")):
        response = master_client.post(
            reverse("admin:operations_treasury_opening"),
            {"account": account.pk, "date": today().isoformat(), "amount": amount},
        )
        assert response.status_code == 302
    pay(operador, in_process_op)
    services.complete_operation(in_process_op, by=operador)
    response = master_client.post(
        reverse("admin:operations_treasury_movement"),
        {"kind": "fee", "date": today().isoformat(), "account": pen.pk, "amount": "7.50", "reference": "ITF"},
    )
    assert response.status_code == 302
    page = master_client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Saldos bancarios ahora" in html
    assert "US$ 11,000.00" in html  # 10,000.00 + the client's deposit of 1,000.00
    assert "S/ 46,292.50" in html  # 50,000.00 − the payout of 3,700.00 − the fee of 7.50
    assert "Comisión bancaria" in html and in_process_op.code in html

    day_page = reverse("admin:operations_treasury_day") + f"?account={pen.pk}&date={today().isoformat()}"
    response = master_client.post(day_page, {"action": "statement", "closing_balance": "46,292.50"})
    assert response.status_code == 302
    page = master_client.get(day_page)
    assert 'data-figure="difference">S/ 0.00<' in page.content.decode()


def test_a_refused_movement_keeps_the_input_and_says_why(master, master_client, houses):
    response = master_client.post(
        reverse("admin:operations_treasury_movement"),
        {
            "kind": "other",
            "date": today().isoformat(),
            "account": houses[Currency.USD].pk,
            "amount": "5",
            "direction": "in",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "«Otro» requiere un motivo" in html
    assert 'value="5"' in html
    assert not TreasuryEntry.objects.exists()


def test_bad_input_never_breaks_the_pages(master_client, houses):
    assert master_client.get(URL + "?date=zzz").status_code == 200
    assert master_client.get(URL + "?date=9999-12-31").status_code == 200
    assert master_client.get(reverse("admin:operations_treasury_day") + "?account=²&date=x").status_code == 302
    assert master_client.get(reverse("admin:operations_treasury_void") + "?entry=-1").status_code == 302
    response = master_client.post(
        reverse("admin:operations_treasury_opening"),
        {"account": houses[Currency.USD].pk, "date": today().isoformat(), "amount": "1e999999"},
    )
    assert response.status_code == 200
    assert "con los dígitos 0-9" in response.content.decode()  # an exponent is not a typed amount


def test_reconcile_and_reopen_through_the_day_page(master, master_client, houses):
    usd = houses[Currency.USD]
    day = today() - dt.timedelta(days=1)
    services.set_opening_balance(by=master, account=usd, date=day, amount="100.00")
    url = reverse("admin:operations_treasury_day") + f"?account={usd.pk}&date={day.isoformat()}"
    master_client.post(url, {"action": "statement", "closing_balance": "100.00"})
    assert master_client.post(url, {"action": "reconcile", "note": ""}).status_code == 302
    assert BankStatement.objects.get(account=usd, date=day).reconciled_by == master
    response = master_client.post(url, {"action": "reopen", "reason": ""})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert master_client.post(url, {"action": "reopen", "reason": "Error en el extracto"}).status_code == 302
    assert not BankStatement.objects.get(account=usd, date=day).is_reconciled


def test_void_page_voids_with_a_reason(master, master_client, houses):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=today(), amount="10.00")
    fee = services.record_movement(by=master, kind=TreasuryKind.FEE, date=today(), account=usd, amount="2.00")
    url = reverse("admin:operations_treasury_void") + f"?entry={fee.pk}"
    assert master_client.get(url).status_code == 200
    assert master_client.post(url, {"reason": "Duplicada"}).status_code == 302
    assert treasury.balance_of(usd, today()) == Decimal("10.00")


@pytest.mark.parametrize("who", ["trader_client", "operador_client"])
def test_other_roles_cannot_open_the_treasury(request, who):
    client = request.getfixturevalue(who)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("admin:operations_treasury_xlsx")).status_code == 403


def test_excel_has_the_balances_and_movements(master, master_client, houses):
    usd = houses[Currency.USD]
    services.set_opening_balance(by=master, account=usd, date=today(), amount="1234.56")
    services.record_movement(
        by=master, kind=TreasuryKind.OTHER, date=today(), account=usd, amount="0.44", direction="in", reason="=cmd()"
    )
    response = master_client.get(reverse("admin:operations_treasury_xlsx"))
    assert response.status_code == 200
    assert f"QoriCash_Saldos_bancarios_{today():%d-%m-%Y}.xlsx" in response["Content-Disposition"]
    wb = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["Saldos", "Movimientos"]
    sheet = wb["Saldos"]
    assert sheet["A1"].value == f"Saldos bancarios al cierre del {today():%d/%m/%Y}" and sheet["A1"].font.b
    assert [c.value for c in sheet[3]][:4] == ["Cuenta", "Moneda", "Fecha del saldo inicial", "Inicio del día"]
    assert sheet["A3"].font.b and sheet["A3"].fill.fgColor.rgb.endswith("366092")
    row = next(r for r in sheet.iter_rows(min_row=4) if r[0].value == str(usd))
    assert row[1].value == "USD"
    assert row[2].value.date() == today() and row[2].number_format == "dd/mm/yyyy"
    assert row[3].value == 1234.56 and row[3].number_format == "#,##0.00;-#,##0.00"
    assert row[4].value == 0.44 and row[5].value == 0
    assert row[6].value == 1235.0 and row[6].number_format == "#,##0.00;-#,##0.00"
    total = next(r for r in sheet.iter_rows(min_row=4) if r[0].value == "Total US$")
    assert total[6].value == 1235.0 and total[6].font.b
    movements = wb["Movimientos"]
    assert [c.value for c in movements[1]] == ["Cuenta", "Moneda", "Registrado el", "Tipo", "Detalle", "Importe"]
    account, currency, at, kind, detail, amount = movements[2]
    assert account.value == str(usd) and currency.value == "USD" and at.number_format == "dd/mm/yyyy hh:mm"
    assert at.value.date() == today() and kind.value == "Otro"
    # A reason that a spreadsheet would run stays the text typed, stored as a text cell.
    assert detail.value == "=cmd()" and detail.data_type == "s" and detail.quotePrefix
    assert amount.value == 0.44 and amount.number_format == "#,##0.00;-#,##0.00"


def test_coverage_panel_on_the_index(master, operador, in_process_op, houses):
    services.set_opening_balance(by=master, account=houses[Currency.PEN], date=today(), amount="100.00")
    browser = Client()
    browser.force_login(master)
    html = browser.get("/admin/").content.decode()
    assert 'id="tr-coverage-panel"' in html and "faltan S/ 3,600.00" in html
    browser.force_login(operador)
    assert 'id="tr-coverage-panel"' not in browser.get("/admin/").content.decode()
