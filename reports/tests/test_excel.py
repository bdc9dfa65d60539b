"""The Excel files opened with openpyxl and checked cell by cell: sheets, names, types, formats, totals."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from operations.models import Operation, OperationStatus
from reports import excel, services

from .conftest import lima

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 20)


def load(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows_of(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def find_row(ws, first_value):
    for row in ws.iter_rows():
        if row and row[0].value == first_value:
            return row
    raise AssertionError(f"no row starting with {first_value!r}")


@pytest.fixture
def day_ops(make_op):
    with time_machine.travel(lima(2026, 11, 20, 18), tick=False):
        return {
            "b1": make_op("buy", "6000.00", "3.7000", at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED),
            "b2": make_op("buy", "4000.00", "3.7000", at=lima(2026, 11, 20, 10)),
            "s1": make_op("sell", "6000.00", "3.7500", at=lima(2026, 11, 20, 11), status=OperationStatus.IN_PROCESS),
            "big": make_op("buy", "12000.00", "3.6900", at=lima(2026, 11, 20, 12)),
            "cancelled": make_op(
                "sell", "999.00", "3.7500", at=lima(2026, 11, 20, 13), status=OperationStatus.CANCELLED
            ),
        }


# --- Position ---------------------------------------------------------------------------------


@time_machine.travel(lima(2026, 11, 20, 18), tick=False)
def test_position_workbook_cell_by_cell(master_client, day_ops):
    response = master_client.get(reverse("admin:reports_position_xlsx"), {"date": "2026-11-20"})
    assert response["Content-Disposition"].endswith('filename="QoriCash_Posicion_20-11-2026.xlsx"')
    wb = load(response)
    assert wb.sheetnames == ["Posición"]
    ws = wb["Posición"]
    position = services.compute_position(Operation.objects.all(), DAY)

    assert ws["A1"].value == "REPORTE DE POSICIÓN"
    assert ws["A2"].value == "Fecha: 20/11/2026"
    assert isinstance(ws["D2"].value, dt.datetime) and ws["D2"].number_format == excel.DATETIME_FORMAT
    assert ws["D2"].value == dt.datetime(2026, 11, 20, 18, 0)  # Lima wall clock
    assert ws["A4"].value == "RESUMEN"
    assert [c.value for c in ws[5]][:6] == [
        "Tipo",
        "Operaciones",
        "Total USD",
        "T.C. promedio",
        "Contravalor PEN",
        "Detalle",
    ]
    assert ws["A5"].fill.fgColor.rgb.endswith("366092") and ws["A5"].font.bold

    compras = find_row(ws, "Compras")
    assert compras[1].value == 3 and isinstance(compras[1].value, int)
    assert compras[2].value == pytest.approx(22000.00) and compras[2].number_format == excel.USD_FORMAT
    # (22,200 + 14,800 + 44,280) / 22,000 = 3.694545… → 3.6945
    assert compras[3].value == pytest.approx(3.6945) and compras[3].number_format == excel.RATE_FORMAT
    assert compras[4].value == pytest.approx(81280.00) and compras[4].number_format == excel.PEN_FORMAT
    completadas = ws.cell(compras[0].row + 1, 1).row
    assert [c.value for c in ws[completadas]][:5] == ["   Completadas", 1, 6000, None, 22200]
    assert [c.value for c in ws[completadas + 1]][:5] == ["   Pendientes / en proceso", 2, 16000, None, 59080]

    ventas = find_row(ws, "Ventas")
    assert [c.value for c in ventas][:5] == ["Ventas", 1, 6000, 3.75, 22500]

    net = find_row(ws, "USD neto (comprados − vendidos)")
    assert net[2].value == 16000 and net[5].value == "COMPRADOS EN"
    opened = find_row(ws, "Posición abierta")
    assert [c.value for c in opened][2:6] == [16000, 3.6945, pytest.approx(59112.00), "COMPRADOS EN"]
    expected = find_row(ws, "Utilidad esperada")
    assert expected[4].value == pytest.approx(float(position.profit.expected))
    assert position.profit.expected == position.profit_pen
    realised = find_row(ws, "Utilidad realizada")
    assert realised[4].value == pytest.approx(float(position.profit.realised))
    spread = find_row(ws, "Spread del volumen calzado")
    # 6,000 × (3.7500 − 3.6945) = 333.00
    assert spread[2].value == 6000 and spread[3].value == pytest.approx(0.0555) and spread[4].value == 333
    assert find_row(ws, "ALERTA: el desbalance de 16,000.00 USD supera el límite de 5,000.00 USD.")[0].font.bold

    banner = find_row(ws, "COMPRAS")
    assert banner[7].value == "VENTAS"  # second block starts at column H (G is a spacer)
    header = [c.value for c in ws[banner[0].row + 1]]
    assert header[:6] == ["ID Operación", "Cliente", "USD", "T.C.", "PEN", "Estado"]
    assert header[7:13] == header[:6]

    first = banner[0].row + 2
    data = [[c.value for c in ws[r]] for r in range(first, first + 3)]
    # Critical first (12,000 ≥ 10,000), then by amount; cancelled never listed.
    assert [r[0] for r in data] == [day_ops["big"].code, day_ops["b1"].code, day_ops["b2"].code]
    assert data[0][5].startswith("Pendiente ⚠") and ws.cell(first, 1).fill.fgColor.rgb.endswith("FFF2CC")
    assert data[0][2:5] == [12000, 3.69, 44280]
    assert isinstance(data[0][2], (int, float)) and ws.cell(first, 3).number_format == excel.USD_FORMAT
    assert [data[0][i] for i in (7, 9, 10, 11, 12)] == [day_ops["s1"].code, 6000, 3.75, 22500, "En proceso"]
    assert data[1][7] is None  # the sales block is shorter
    assert day_ops["cancelled"].code not in {v for r in rows_of(ws) for v in r}

    totals = find_row(ws, "TOTAL COMPRAS")
    assert totals[0].row == first + 4  # one blank row after the data
    assert [totals[i].value for i in (2, 4, 7, 9, 11)] == [22000, 81280, "TOTAL VENTAS", 6000, 22500]
    assert totals[2].number_format == excel.USD_FORMAT and totals[4].number_format == excel.PEN_FORMAT
    # The totals row equals the sum of the listed rows.
    assert totals[2].value == sum(r[2] for r in data) and totals[4].value == sum(r[4] for r in data)


def test_position_workbook_without_profit_for_operador(operador_client, day_ops):
    ws = load(operador_client.get(reverse("admin:reports_position_xlsx"), {"date": "2026-11-20"}))["Posición"]
    firsts = {r[0] for r in rows_of(ws)}
    assert (
        "Utilidad esperada" not in firsts
        and "Utilidad realizada" not in firsts
        and "Spread del volumen calzado" not in firsts
    )
    assert "Posición abierta" in firsts


def test_position_workbook_of_an_empty_day(master_client):
    ws = load(master_client.get(reverse("admin:reports_position_xlsx"), {"date": "2026-11-21"}))["Posición"]
    compras = find_row(ws, "Compras")
    assert [c.value for c in compras][:5] == ["Compras", 0, 0, None, 0]
    assert find_row(ws, "USD neto (comprados − vendidos)")[5].value == "NETEADOS"
    totals = find_row(ws, "TOTAL COMPRAS")
    assert totals[2].value == 0 and totals[11].value == 0


def test_position_workbook_range_file_name(master_client, make_op):
    make_op("buy", "100.00", at=lima(2026, 11, 18, 9))
    response = master_client.get(reverse("admin:reports_position_xlsx"), {"from": "2026-11-18", "to": "2026-11-20"})
    assert 'filename="QoriCash_Posicion_desde_18-11-2026_hasta_20-11-2026.xlsx"' in response["Content-Disposition"]
    ws = load(response)["Posición"]
    assert ws["A2"].value == "Del 18/11/2026 al 20/11/2026"


# --- History ----------------------------------------------------------------------------------

HEADER = [
    "ID OP.",
    "TIPO",
    "DOCUMENTO",
    "CLIENTE",
    "USD",
    "T.C.",
    "PEN",
    "CUENTA CARGO",
    "CUENTA DESTINO",
    "ESTADO",
    "FECHA",
    "EJECUTIVO",
    "OPERADOR",
    "USUARIO",
]


@time_machine.travel(lima(2026, 11, 20, 18, 30, 15), tick=False)
def test_history_workbook_cell_by_cell(master_client, day_ops, operador):
    Operation.objects.filter(pk=day_ops["s1"].pk).update(assigned_operator=operador)
    response = master_client.get(reverse("admin:reports_history_xlsx"))
    assert 'filename="QoriCash_Historial_de_operaciones_20-11-2026.xlsx"' in response["Content-Disposition"]
    wb = load(response)
    assert wb.sheetnames == ["Historial de Operaciones"]
    ws = wb["Historial de Operaciones"]

    assert [c.value for c in ws[1]] == HEADER
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith("366092") for c in ws[1])
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:N6"

    body = [[c.value for c in ws[r]] for r in range(2, 7)]
    # The rows of the operations list, in its order.
    listed = master_client.get(reverse("admin:operations_operation_changelist")).context["cl"].queryset
    assert [r[0] for r in body] == [op.code for op in listed]
    row_of = {r[0]: r for r in body}
    assert set(row_of) == {day_ops[k].code for k in ("cancelled", "big", "s1", "b2", "b1")}
    s1 = day_ops["s1"]
    row = row_of[s1.code]
    assert row[1] == "Venta" and row[2] == f"DNI {s1.client.document_number}"
    assert row[3] == s1.client.display_name
    assert row[4:7] == [6000, 3.75, 22500]
    assert [ws.cell(4, c).number_format for c in (5, 6, 7)] == [excel.USD_FORMAT, excel.RATE_FORMAT, excel.PEN_FORMAT]
    assert row[7] == s1.source_snapshot and row[8] == s1.destination_snapshot
    assert row[9] == "En proceso"
    assert row[10] == dt.datetime(2026, 11, 20, 11, 0) and ws.cell(4, 11).number_format == excel.DATETIME_FORMAT
    assert row[11] == "Ana Pérez" and row[12] == "Ana Pérez"  # executive and operator full names
    assert row[13] == s1.created_by.email
    assert row_of[day_ops["cancelled"].code][9] == "Cancelado"
    assert row_of[day_ops["big"].code][12] == "-"  # no operator yet

    assert all(v is None for v in (c.value for c in ws[7]))  # blank row before the totals
    # The totals leave the cancelled sale out (as the position and the dashboard do); it is listed
    # above and counted on a line of its own.
    compras, ventas, total, canceladas = ([c.value for c in ws[r]][:7] for r in (8, 9, 10, 11))
    assert all(ws.cell(r, c).value is None for r in (8, 9, 10, 11) for c in range(8, 15))
    assert compras == ["TOTAL COMPRAS (sin canceladas)", None, None, 3, 22000, None, 81280]
    assert ventas == ["TOTAL VENTAS (sin canceladas)", None, None, 1, 6000, None, 22500]
    assert total == ["TOTAL (sin canceladas)", None, None, 4, 28000, None, 103780]
    assert canceladas == ["CANCELADAS (no suman en los totales)", None, None, 1, 999, None, 3746.25]
    for r in (8, 9, 10, 11):
        assert ws.cell(r, 4).number_format == '#,##0 "operaciones"' and isinstance(ws.cell(r, 4).value, int)
        assert ws.cell(r, 5).number_format == excel.USD_FORMAT and ws.cell(r, 7).number_format == excel.PEN_FORMAT
    assert all(ws.cell(r, 1).font.bold and ws.cell(r, 1).fill.fgColor.rgb.endswith("DDEBF7") for r in (8, 9, 10))
    assert ws.cell(11, 1).font.italic and not ws.cell(11, 1).font.bold and ws.cell(11, 1).fill.fill_type is None
    # TOTAL + CANCELADAS = what Excel's SUM over the listed rows gives.
    assert total[4] + canceladas[4] == sum(r[4] for r in body) == 28999
    assert total[6] + canceladas[6] == pytest.approx(sum(r[6] for r in body)) == pytest.approx(107526.25)
    assert ws.max_row == 11


def test_history_workbook_empty_selection_still_has_header_and_zero_totals(master_client):
    ws = load(master_client.get(reverse("admin:reports_history_xlsx")))["Historial de Operaciones"]
    assert [c.value for c in ws[1]] == HEADER
    assert [c.value for c in ws[5]][:7] == ["TOTAL (sin canceladas)", None, None, 0, 0, None, 0]
    assert [c.value for c in ws[6]][:7] == ["CANCELADAS (no suman en los totales)", None, None, 0, 0, None, 0]


def test_write_history_reports_progress_and_totals(tmp_path):
    rows = [
        {
            "code": f"EXP-{i}",
            "type": "buy" if i % 2 else "sell",
            "amount_usd": Decimal("10.00"),
            "rate": Decimal("3.7000"),
            "amount_pen": Decimal("37.00"),
            "source_snapshot": "",
            "destination_snapshot": "",
            # Every fifth one cancelled: i = 0, 5, 10, 15, 20 (sales 0, 10, 20; purchases 5, 15).
            "status": "cancelled" if i % 5 == 0 else "completed",
            "created_at": lima(2026, 11, 20, 9),
            "client__document_type": "RUC",
            "client__document_number": "20123456789",
            "client__razon_social": "Acme sac",
            "client__apellido_paterno": "",
            "client__apellido_materno": "",
            "client__nombres": "",
            "trader__username": "t",
            "created_by__email": "t@x.pe",
        }
        for i in range(25)
    ]
    calls = []
    totals = excel.write_history(
        iter(rows), tmp_path / "h.xlsx", include_creator=False, progress=calls.append, progress_every=10
    )
    assert calls == [10, 20]  # every row written counts, cancelled too
    assert totals["rows"] == 25
    assert totals["count"] == 20 and totals["usd"] == Decimal("200.00") and totals["pen"] == Decimal("740.00")
    assert totals["buy"] == {"count": 10, "usd": Decimal("100.00"), "pen": Decimal("370.00")}
    assert totals["sell"] == {"count": 10, "usd": Decimal("100.00"), "pen": Decimal("370.00")}
    assert totals["cancelled"] == {"count": 5, "usd": Decimal("50.00"), "pen": Decimal("185.00")}
    ws = load_workbook(tmp_path / "h.xlsx")["Historial de Operaciones"]
    assert ws["D2"].value == "ACME SAC" and ws["H2"].value == "-" and ws.max_column == 13
    assert ws["J2"].value == "Cancelado" and ws.max_row == 1 + 25 + 1 + 4
    assert ws.cell(27, 1).value is None  # header, 25 rows, a blank row, then the four totals lines
    assert [ws.cell(28, c).value for c in (1, 4, 5, 7)] == ["TOTAL COMPRAS (sin canceladas)", 10, 100, 370]
    assert [ws.cell(29, c).value for c in (1, 4, 5, 7)] == ["TOTAL VENTAS (sin canceladas)", 10, 100, 370]
    assert [ws.cell(30, c).value for c in (1, 4, 5, 7)] == ["TOTAL (sin canceladas)", 20, 200, 740]
    assert [ws.cell(31, c).value for c in (1, 4, 5, 7)] == ["CANCELADAS (no suman en los totales)", 5, 50, 185]


def _history_row(i):
    return {
        "code": f"EXP-{i:07d}",
        "type": "buy" if i % 2 else "sell",
        "amount_usd": Decimal("1234.56") + i,
        "rate": Decimal("3.7123"),
        "amount_pen": Decimal("4583.15") + i,
        "source_snapshot": f"BCP 1911234567{i:04d}",
        "destination_snapshot": f"Interbank 89831234{i:05d}",
        "status": "completed",
        "created_at": lima(2026, 11, 20, 9),
        "client__document_type": "DNI",
        "client__document_number": f"{40_000_000 + i}",
        "client__razon_social": "",
        "client__apellido_paterno": f"QUISPE{i}",
        "client__apellido_materno": "MAMANI",
        "client__nombres": "ROSA ELENA",
        "trader__username": "t",
        "created_by__email": "t@x.pe",
    }


def _history_peak_bytes(count, tmp_path):
    import tracemalloc

    rows = (_history_row(i) for i in range(count))
    tracemalloc.start()
    try:
        excel.write_history(rows, tmp_path / f"h{count}.xlsx", include_creator=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_history_writer_memory_does_not_grow_with_the_rows(tmp_path):
    """Ten times the rows, about the same peak: each row is on disk before the next one is built."""
    services.user_display_name(_history_row(0), "trader")  # warm the caches shared by both runs
    small = _history_peak_bytes(400, tmp_path)
    large = _history_peak_bytes(4000, tmp_path)
    # Holding the rows (or the cells) would make it ~10x; a row of this file takes ~2 KB in memory.
    assert large < small * 1.3, (small, large)
    wb = load_workbook(tmp_path / "h4000.xlsx", read_only=True)
    rows = list(wb[excel.HISTORY_SHEET].iter_rows(min_row=2, max_row=4001, values_only=True))
    wb.close()
    assert len(rows) == 4000 and rows[-1][0] == "EXP-0003999" and rows[-1][4] == pytest.approx(5233.56)


def test_history_writer_pulls_rows_one_at_a_time(tmp_path):
    """The rows are consumed as they are written (a server-side cursor feeds it), never listed first."""
    written = []

    def rows():
        for i in range(50):
            written.append(i)
            yield _history_row(i)

    seen = []

    def progress(n):
        seen.append((n, len(written)))

    excel.write_history(rows(), tmp_path / "h.xlsx", include_creator=False, progress=progress, progress_every=10)
    assert seen == [(10, 10), (20, 20), (30, 30), (40, 40), (50, 50)]


# --- Formula injection ------------------------------------------------------------------------

EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def evil_ops(make_op, trader):
    """A RUC client whose razón social is a formula, and other typed text that a spreadsheet would run."""
    from clients.tests.factories import active_client, valid_ruc

    client = active_client(
        owner=trader,
        document_type="RUC",
        document_number=valid_ruc(7),
        razon_social=EVIL,
        apellido_paterno="",
        apellido_materno="",
        nombres="",
    )
    trader.first_name, trader.last_name = "=1+1", ""
    trader.save(update_fields=["first_name", "last_name"])
    buy = make_op("buy", "100.00", at=lima(2026, 11, 20, 9), client=client)
    sell = make_op("sell", "50.00", "3.7500", at=lima(2026, 11, 20, 10), client=client)
    Operation.objects.filter(pk=buy.pk).update(source_snapshot="@SUM(1+1)", destination_snapshot="+51 999")
    return buy, sell


def text_cells(ws):
    return [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_position_file_writes_a_formula_like_client_name_as_text(master_client, evil_ops):
    ws = load(master_client.get(reverse("admin:reports_position_xlsx"), {"date": "2026-11-20"}))[excel.POSITION_SHEET]
    names = [c for c in text_cells(ws) if "HYPERLINK" in c.value]
    assert len(names) == 2  # the client in the purchases block and in the sales block
    assert all(c.data_type == "s" and c.value == "'" + EVIL.upper() for c in names)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_history_file_writes_formula_like_text_as_text(master_client, evil_ops):
    buy, _sell = evil_ops
    ws = load(master_client.get(reverse("admin:reports_history_xlsx")))[excel.HISTORY_SHEET]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == buy.code)
    client, source, destination, executive = row[3], row[7], row[8], row[11]
    assert client.data_type == "s" and client.value == "'" + EVIL.upper()
    assert (source.value, destination.value) == ("'@SUM(1+1)", "'+51 999")
    assert executive.data_type == "s" and executive.value == "'=1+1"
    assert row[9].value == "Pendiente" and row[12].value == "-"  # our own labels and placeholders unchanged


def test_position_command_file_writes_a_formula_like_client_name_as_text(evil_ops, tmp_path):
    from django.core.management import call_command

    target = tmp_path / "p.xlsx"
    call_command("export_position", "--date", "2026-11-20", "--output", str(target), stdout=io.StringIO())
    ws = load_workbook(target)[excel.POSITION_SHEET]
    names = [c for c in text_cells(ws) if "HYPERLINK" in c.value]
    assert len(names) == 2 and all(c.data_type == "s" and c.value.startswith("'=") for c in names)
