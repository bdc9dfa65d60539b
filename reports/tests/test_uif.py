"""The operations register (UIF): the month's flagged operations on the page, in the Excel file and from
the command, with the client's identification; numbers as numbers; audited; officer and Master only."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEntry
from clients.tests.factories import BankAccountFactory, CompanyFactory, active_client
from operations.models import FundsDeclaration, OperationStatus
from reports import uif
from reports.audit_actions import ReportAction

from .conftest import lima

pytestmark = pytest.mark.django_db
URL = "/admin/reports/uif-register/"
XLSX_URL = "/admin/reports/uif-register.xlsx"


@pytest.fixture
def november(make_op, trader):
    person = active_client(owner=trader, address="JR. HUALLAGA 120", district="CERCADO")
    company = CompanyFactory(owner=trader, status="active", address="AV. JAVIER PRADO 400")
    for currency in ("PEN", "USD"):
        BankAccountFactory(client=company, currency=currency)
    single = make_op("buy", "12000.00", "3.7000", client=person, at=lima(2026, 11, 3, 9, 30), ro_single=True)
    FundsDeclaration.objects.create(operation=single, origin="other", detail="Venta de cosecha", recorded_by=trader)
    multiple = make_op("sell", "30000.00", "3.7500", client=company, at=lima(2026, 11, 30, 23, 30), ro_multiple=True)
    return {
        "single": single,
        "multiple": multiple,
        "plain": make_op("buy", "500.00", client=person, at=lima(2026, 11, 4)),
        "cancelled": make_op(
            "buy", "15000.00", client=person, at=lima(2026, 11, 5), status=OperationStatus.CANCELLED, ro_single=True
        ),
        "december": make_op("buy", "20000.00", client=person, at=lima(2026, 12, 1, 0, 10), ro_single=True),
    }


def sheet_rows(content):
    ws = load_workbook(io.BytesIO(content))[uif.SHEET]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_the_page_lists_the_months_flagged_operations(officer_client, officer, november):
    response = officer_client.get(URL, {"month": "2026-11"})
    assert response.status_code == 200
    codes = [row["op"].code for row in response.context["rows"]]
    assert codes == [november["single"].code, november["multiple"].code]
    page = response.content.decode()
    assert "Registro de operaciones (UIF) de noviembre de 2026" in page
    assert "Venta de cosecha" in page and "Comercio al por mayor" in page and "Peruana" in page
    entry = AuditEntry.objects.get(action=ReportAction.UIF_REGISTER_VIEWED)
    assert entry.actor == officer and "2026-11" in entry.message


def test_a_bad_month_says_so_and_shows_the_current_one(officer_client):
    response = officer_client.get(URL, {"month": "2026-13"}, follow=True)
    assert response.status_code == 200
    assert "Indique el mes como AAAA-MM" in response.content.decode()


@pytest.mark.parametrize("who", ["trader_client", "operador_client"])
def test_traders_and_operators_cannot_open_it(request, who):
    client = request.getfixturevalue(who)
    assert client.get(URL).status_code == 403
    assert client.get(XLSX_URL).status_code == 403


def test_the_excel_file_has_the_identification_and_numbers_as_numbers(master_client, master, november):
    response = master_client.get(XLSX_URL, {"month": "2026-11"})
    assert response.status_code == 200
    assert "QoriCash_Registro_UIF_2026-11_01-11-2026.xlsx" in response["Content-Disposition"]
    rows = sheet_rows(b"".join(response.streaming_content))
    header, first, second = rows[0], rows[1], rows[2]
    assert len(rows) == 3
    assert header[:8] == ["FECHA Y HORA", "ID OP.", "TIPO", "REGISTRO", "ESTADO", "USD", "T.C.", "PEN"]
    assert first[0] == dt.datetime(2026, 11, 3, 9, 30)
    assert first[1:5] == [november["single"].code, "Compra", "Única", "Pendiente"]
    assert all(isinstance(v, (int, float)) for v in first[5:8])  # numbers, not text
    assert Decimal(str(first[5])) == Decimal("12000") and Decimal(str(first[7])) == Decimal("44400")
    assert first[8:12] == [
        "DNI",
        november["single"].client.document_number,
        november["single"].client.display_name,
        "Peruana",
    ]
    assert first[12] == "Contador"
    assert first[14] == "JR. HUALLAGA 120, CERCADO, LIMA, LIMA"
    assert first[17] == "Otro: Venta de cosecha"
    assert second[0] == dt.datetime(2026, 11, 30, 23, 30)  # Lima time: still November
    assert second[3] == "Múltiple" and second[8] == "RUC"
    assert second[12] == "Comercio al por mayor" and second[13] == "ROSA TORRES (DNI 41234567)"
    entry = AuditEntry.objects.get(action=ReportAction.UIF_REGISTER_EXPORTED)
    assert entry.actor == master and "2 operaciones" in entry.message


def test_the_command_writes_the_same_file(tmp_path, november):
    path = tmp_path / "registro.xlsx"
    out = io.StringIO()
    call_command("export_uif_register", "--month", "2026-11", "--output", str(path), stdout=out)
    rows = sheet_rows(path.read_bytes())
    assert [r[1] for r in rows[1:]] == [november["single"].code, november["multiple"].code]
    assert "2 operaciones de noviembre de 2026" in out.getvalue()
    assert AuditEntry.objects.filter(action=ReportAction.UIF_REGISTER_EXPORTED, actor=None).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--month"),
        (["--month", "noviembre"], "AAAA-MM"),
        (["--month", "2026-00"], "AAAA-MM"),
        (["--month", "2026-11"], "--output"),
    ],
)
def test_the_command_refuses_bad_arguments_in_spanish(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_uif_register", *args)


def test_the_nav_shows_the_page_to_the_officer_only(officer, trader):
    from django.test import Client

    link = f'href="{reverse("admin:reports_uif_register")}"'
    for user, shown in ((officer, True), (trader, False)):
        browser = Client()
        browser.force_login(user)
        assert (link in browser.get("/admin/").content.decode()) is shown
