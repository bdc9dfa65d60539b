"""The Excel files we write: cell values that stay text, and one streaming xlsx writer.

openpyxl stores any string starting with "=" as a formula, and spreadsheet programs also run
cells starting with +, -, @, tab or CR. A client called '=HYPERLINK(...)' must arrive as text.

Exports are written with XlsxWriter in constant-memory mode: each row goes to a temporary file as
soon as the next one starts, so a file of a million rows needs the memory of one row. It was about
three times faster than openpyxl's write-only mode on the same rows (docs/benchmarks.md,
"Exportaciones"). Rows must be written top to bottom, which is how every export is built.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import xlsxwriter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Return `value` unchanged unless it is text that a spreadsheet would execute; then quote it."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


# Styles are small dicts of XlsxWriter format properties, combined per cell (font + fill + ...).
def font(*, bold=False, italic=False, size=None, color=None):
    style = {}
    if bold:
        style["bold"] = True
    if italic:
        style["italic"] = True
    if size:
        style["font_size"] = size
    if color:
        style["font_color"] = "#" + color
    return style


def fill(color):
    return {"pattern": 1, "bg_color": "#" + color}


CENTER = {"align": "center", "valign": "vcenter"}


class Cell:
    """A value with its style, for the cells that need one (plain values are written as they are)."""

    __slots__ = ("value", "style")

    def __init__(self, value, style):
        self.value = value
        self.style = style


class Sheet:
    """One worksheet written row after row. `append(cells)` takes plain values or Cells.

    Plain strings are written exactly as given (callers pass them through safe_cell when they come from
    users); a Cell's text that a spreadsheet would run is stored as a quote-prefixed text cell, which
    keeps the value unchanged (a file that imports back needs that).
    """

    def __init__(self, book: Workbook, worksheet):
        self.book = book
        self.ws = worksheet
        self.row = 0

    def cell(self, value, number_format=None, font=None, fill=None, alignment=None):
        if value is None or value == "":
            if fill is None:
                return None
            value = None
        style = {}
        for part in (font, fill, alignment):
            if part:
                style.update(part)
        if number_format:
            style["num_format"] = number_format
        if is_formula_like(value):
            style["quote_prefix"] = True
        return Cell(value, self.book.format(style)) if style else value

    def header(self, titles, style=None):
        return [self.cell(t, **(style or {})) for t in titles]

    def widths(self, widths):
        for index, width in enumerate(widths):
            self.ws.set_column(index, index, width)

    def freeze(self, rows=1, columns=0):
        self.ws.freeze_panes(rows, columns)

    def autofilter(self, first_row, last_row, columns):
        self.ws.autofilter(first_row, 0, last_row, columns - 1)

    def append(self, cells=()):
        write = self._write
        r = self.row
        for c, value in enumerate(cells):
            if value is not None:
                write(r, c, value)
        self.row += 1

    def _write(self, r, c, value):
        fmt = None
        if type(value) is Cell:
            value, fmt = value.value, value.style
            if value is None:
                self.ws.write_blank(r, c, None, fmt)
                return
        if isinstance(value, str):
            self.ws.write_string(r, c, value, fmt)
        elif isinstance(value, bool):
            self.ws.write_boolean(r, c, value, fmt)
        elif isinstance(value, (int, float, Decimal)):
            self.ws.write_number(r, c, value, fmt)
        elif isinstance(value, (dt.datetime, dt.date)):
            self.ws.write_datetime(r, c, value, fmt)
        else:
            self.ws.write_string(r, c, str(value), fmt)


class Workbook:
    """An xlsx file written in constant memory to `target` (a path or a binary file object)."""

    def __init__(self, target):
        self.target = target
        self._book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                # Our values are typed already: never turn a string into a formula, number or link.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self._formats = {}

    def format(self, style: dict):
        key = tuple(sorted(style.items()))
        fmt = self._formats.get(key)
        if fmt is None:
            fmt = self._formats[key] = self._book.add_format(style)
        return fmt

    def sheet(self, name, sheet_class=Sheet) -> Sheet:
        return sheet_class(self, self._book.add_worksheet(name[:31]))

    def close(self):
        self._book.close()
        if hasattr(self.target, "seek"):
            self.target.seek(0)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.discard()
        return False

    def discard(self):
        """Drop a failed export's temporary row files; nothing is assembled into the target."""
        for ws in self._book.worksheets():
            if ws.row_data_fh is not None and not ws.row_data_fh_closed:
                ws.row_data_fh.close()
                ws.row_data_fh_closed = True
            if ws.row_data_filename and os.path.exists(ws.row_data_filename):
                os.unlink(ws.row_data_filename)
        self._book.fileclosed = True
