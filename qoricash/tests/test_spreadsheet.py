from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from qoricash.spreadsheet import safe_cell


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+51 999", "-1+1", "@SUM(A1)", "\tx", "\rx"])
def test_executable_text_is_stored_as_text(text):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("x")
    ws.append([safe_cell(text)])
    buf = BytesIO()
    wb.save(buf)
    cell = load_workbook(BytesIO(buf.getvalue())).active["A1"]
    assert cell.data_type == "s"
    assert cell.value.startswith("'")  # XML turns a lone CR into LF on reading


@pytest.mark.parametrize("value", ["QUISPE MAMANI JUAN", Decimal("-5.00"), -3, None, ""])
def test_other_values_are_untouched(value):
    assert safe_cell(value) == value


def _written(tmp_path, fill_sheet):
    from qoricash import spreadsheet

    target = tmp_path / "t.xlsx"
    with spreadsheet.Workbook(target) as book:
        fill_sheet(book.sheet("Hoja"))
    return load_workbook(target)["Hoja"]


def test_streaming_sheet_keeps_types_and_formats(tmp_path):
    import datetime as dt

    def fill(sheet):
        sheet.append(sheet.header(["A", "B"], {"font": {"bold": True}}))
        sheet.append(["texto", 7, Decimal("12.50"), sheet.cell(Decimal("3.7512"), "0.0000")])
        sheet.append()
        sheet.append([None, sheet.cell(dt.datetime(2026, 11, 20, 9, 30), "dd/mm/yyyy hh:mm")])

    ws = _written(tmp_path, fill)
    assert ws["A1"].value == "A" and ws["A1"].font.bold
    assert [c.value for c in ws[2]] == ["texto", 7, 12.5, 3.7512]
    assert isinstance(ws["B2"].value, int) and ws["D2"].number_format == "0.0000"
    assert ws["B4"].value == dt.datetime(2026, 11, 20, 9, 30) and ws["B4"].number_format == "dd/mm/yyyy hh:mm"
    assert ws["A3"].value is None and ws.max_row == 4


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+51 999", "-1+1", "@SUM(A1)"])
def test_streaming_sheet_stores_formula_like_text_unchanged_as_quoted_text(tmp_path, text):
    ws = _written(tmp_path, lambda sheet: sheet.append([sheet.cell(text), text]))
    styled, plain = ws["A1"], ws["B1"]
    assert styled.data_type == "s" and styled.quotePrefix and styled.value == text
    # Plain strings are never turned into formulas either (the writer is told not to).
    assert plain.data_type == "s" and plain.value == text


def test_streaming_sheet_holds_one_row_in_memory(tmp_path):
    from qoricash import spreadsheet

    with spreadsheet.Workbook(tmp_path / "t.xlsx") as book:
        sheet = book.sheet("Hoja")
        for i in range(3000):
            sheet.append([f"fila {i}", i, Decimal(i)])
            assert len(sheet.ws.table) <= 1  # earlier rows are already in the temporary file


def test_a_failed_export_leaves_no_file_and_no_temporary_rows(tmp_path):
    from qoricash import spreadsheet

    target = tmp_path / "t.xlsx"
    with pytest.raises(RuntimeError), spreadsheet.Workbook(target) as book:
        sheet = book.sheet("Hoja")
        sheet.append(["x"])
        temporary = sheet.ws.row_data_filename
        raise RuntimeError("database went away")
    assert not target.exists()
    import os

    assert not os.path.exists(temporary)
