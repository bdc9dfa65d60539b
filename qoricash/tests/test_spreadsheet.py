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
