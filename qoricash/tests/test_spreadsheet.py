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


def _parts(path):
    import zipfile

    with zipfile.ZipFile(path) as archive:
        # The creation time is the only part that differs between two runs.
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def test_rows_are_written_exactly_as_xlsxwriter_writes_them(tmp_path):
    """Sheet.append writes the rows' XML itself; every part of the file must stay what XlsxWriter's
    own cell methods produce, whatever the text holds."""
    import datetime as dt

    from qoricash import spreadsheet

    class ThroughXlsxWriter(spreadsheet.Sheet):
        def append(self, cells=()):
            self.row += 1
            self._append_slowly(self.row - 1, cells)

    texts = [
        "QUISPE MAMANI JUAN",
        "",
        " espacio delante",
        "espacio detrás ",
        "línea\nnueva",
        "tab\tdentro",
        "control \x01 y \x1f",
        "_x0041_ literal",
        "<r>no es rico</r>",
        "<r><t>rico</t></r>",
        "A & B <c> \"d\" 'e'",
        "\ufffe\uffff",
        "ñandú ÁÉÍÓÚ €",
        "x" * 20000,
        '=HYPERLINK("http://x","y")',
    ]

    def fill(sheet):
        sheet.widths([12, 30, 14])
        sheet.ws.set_column(5, 5, 9, sheet.book.format({"num_format": "0.00"}))  # a column's own format
        sheet.freeze(1)
        sheet.append(sheet.header(["A", "B", "C", "D"], {"font": {"bold": True}, "fill": spreadsheet.fill("366092")}))
        for i, text in enumerate(texts):
            sheet.append([text, sheet.cell(text, "@"), i, None, Decimal("12.50") * i, Decimal(i) / 7])
        sheet.append()
        sheet.append([None, None, sheet.cell(dt.datetime(2026, 11, 20, 9, 30, 15), "dd/mm/yyyy hh:mm")])
        sheet.append([dt.date(2026, 1, 31), sheet.cell(dt.date(2026, 1, 31), "dd/mm/yyyy"), 2.5, -7, 10**12])
        sheet.append([True, "after a boolean", None, sheet.cell(None, fill=spreadsheet.fill("DDEBF7"))])
        sheet.append([Decimal("-0.00"), Decimal("1234567.8912"), Decimal("1E+3"), 0.1 + 0.2, 1e300])
        sheet.append([None, sheet.cell(Decimal("3.7512"), "0.0000"), sheet.cell(None, fill=spreadsheet.fill("FFF2CC"))])
        sheet.append([dt.time(9, 30)])  # neither text, number nor date: written as its text
        sheet.append(["last", sheet.cell(7, "#,##0", font={"italic": True})])
        sheet.autofilter(0, sheet.row, 5)

    written = {}
    for name, sheet_class in (("direct", spreadsheet.Sheet), ("xlsxwriter", ThroughXlsxWriter)):
        target = tmp_path / f"{name}.xlsx"
        with spreadsheet.Workbook(target) as book:
            fill(book.sheet("Hoja", sheet_class))
        written[name] = _parts(target)
    assert written["direct"].keys() == written["xlsxwriter"].keys()
    for part, content in written["xlsxwriter"].items():
        assert written["direct"][part] == content, part
