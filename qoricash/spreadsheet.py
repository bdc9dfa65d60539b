"""The Excel files we write: cell values that stay text, and one streaming xlsx writer.

openpyxl stores any string starting with "=" as a formula, and spreadsheet programs also run
cells starting with +, -, @, tab or CR. A client called '=HYPERLINK(...)' must arrive as text.

Exports are written with XlsxWriter in constant-memory mode: each row goes to a temporary file as
soon as it is appended, so a file of a million rows needs the memory of one row. It was about
three times faster than openpyxl's write-only mode on the same rows, and writing the rows' XML
here instead of through its cell methods halved the exports' time again (docs/benchmarks.md,
"Exportaciones"). Rows must be written top to bottom, which is how every export is built.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from decimal import Decimal
from functools import cache
from math import isfinite

import xlsxwriter
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Return `value` unchanged unless it is text that a spreadsheet would execute; then quote it."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


# Text without any of these is written as it is; with one, it takes XlsxWriter's own escaping steps
# (control characters, XML entities, the rich-string form, kept leading or trailing spaces).
_NEEDS_CARE = re.compile(r"[\x00-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
# Longer text may exceed Excel's 32,767 UTF-16 units: XlsxWriter truncates it.
_SHORT_ENOUGH = 32767 // 2


@cache
def _column_name(col):
    return xl_col_to_name(col)


def _inline_text(string):
    """The <is> content XlsxWriter writes for an in-line string (constant-memory mode)."""
    string = XMLwriter._escape_control_characters(string)
    if string.startswith("<r>") and string.endswith("</r>"):
        return string
    preserve = ' xml:space="preserve"' if _preserve_whitespace(string) else ""
    return f"<t{preserve}>{XMLwriter._escape_data(None, string)}</t>"


_NAMED = 702  # columns A to ZZ
_NAMES = [_column_name(col) for col in range(_NAMED)]


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
        self._styles = {}
        self._row_attrs_key = None
        self._row_attrs_text = ""

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
        """Write one row. Its cells' XML goes straight to the sheet's row file, exactly as XlsxWriter
        would write them: its per-cell layers (argument decorator, type dispatch, cell tuples, the row
        table, attribute escaping) were most of an export's time. A row holding anything else than
        text, numbers, dates and styled blanks, or one XlsxWriter would handle specially, goes through
        XlsxWriter itself."""
        r = self.row
        self.row += 1
        if not cells:
            return
        ws = self.ws
        if r >= ws.xls_rowmax or ws.row_info or ws.comments:
            self._append_slowly(r, cells)
            return
        ref = str(r + 1)
        styles = self._styles
        col_info = ws.col_info
        parts = [f'<row r="{ref}"{self._row_attrs()}>']
        add = parts.append
        names = _NAMES
        first = last = None
        for c, value in enumerate(cells):
            if value is None:
                continue
            kind = type(value)
            fmt = None
            if kind is Cell:
                value, fmt = value.value, value.style
                kind = type(value)
            if fmt is None:
                info = col_info.get(c) if col_info else None
                attr = "" if info is None or info.column_format is None else self._column_style(c)
            else:
                attr = styles.get(fmt)
                if attr is None:
                    # Indexed on first use, as XlsxWriter does: the styles part lists them in that order.
                    attr = styles[fmt] = f' s="{fmt._get_xf_index()}"'
            name = names[c] if c < _NAMED else _column_name(c)
            if kind is str:
                if len(value) > _SHORT_ENOUGH:
                    return self._append_slowly(r, cells)
                if _NEEDS_CARE.search(value):
                    add(f'<c r="{name}{ref}"{attr} t="inlineStr"><is>{_inline_text(value)}</is></c>')
                else:
                    add(f'<c r="{name}{ref}"{attr} t="inlineStr"><is><t>{value}</t></is></c>')
            elif kind is int or (kind is Decimal and value.is_finite()) or (kind is float and isfinite(value)):
                add(f'<c r="{name}{ref}"{attr}><v>{value:.16G}</v></c>')
            elif (kind is dt.datetime or kind is dt.date) and fmt is not None:
                add(f'<c r="{name}{ref}"{attr}><v>{ws._convert_date_time(value):.16G}</v></c>')
            elif value is None and fmt is not None:
                add(f'<c r="{name}{ref}"{attr}/>')
            else:
                return self._append_slowly(r, cells)
            if first is None:
                first = c
            last = c
        if first is None:
            return
        if last >= ws.xls_colmax:
            self._append_slowly(r, cells)
            return
        # What XlsxWriter does before it stores a row's first cell: write out the row still held.
        if r > ws.previous_row:
            if ws.table:
                ws._write_single_row(r)
            else:
                ws.previous_row = r
        add("</row>")
        ws.fh.write("".join(parts))
        if ws.dim_rowmin is None or r < ws.dim_rowmin:
            ws.dim_rowmin = r
        if ws.dim_rowmax is None or r > ws.dim_rowmax:
            ws.dim_rowmax = r
        if ws.dim_colmin is None or first < ws.dim_colmin:
            ws.dim_colmin = first
        if ws.dim_colmax is None or last > ws.dim_colmax:
            ws.dim_colmax = last

    def _column_style(self, c):
        info = self.ws.col_info.get(c)
        if info is None or info.column_format is None:
            return ""
        return f' s="{info.column_format._get_xf_index()}"'

    def _row_attrs(self):
        """The attributes XlsxWriter gives a <row> without formatting of its own (height, version)."""
        ws = self.ws
        key = (ws.default_row_height, ws.original_row_height, ws.excel_version)
        if self._row_attrs_key != key:
            fh, ws.fh = ws.fh, io.StringIO()
            try:
                ws._write_row(0, None)
                self._row_attrs_text = ws.fh.getvalue()[len('<row r="1"') : -1]
            finally:
                ws.fh = fh
            self._row_attrs_key = key
        return self._row_attrs_text

    def _append_slowly(self, r, cells):
        write = self._write
        for c, value in enumerate(cells):
            if value is not None:
                write(r, c, value)

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
