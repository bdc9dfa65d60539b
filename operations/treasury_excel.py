"""The "Saldos bancarios" Excel file: balances at the end of a day and that day's movements.

Write-only openpyxl like the reports' files; numbers as numbers with a number format, text through
qoricash.spreadsheet.safe_cell. The figures come from operations.treasury, nothing is computed here.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from operations import treasury
from qoricash import display
from qoricash.spreadsheet import safe_cell

AMOUNT_FORMAT = "#,##0.00;-#,##0.00"
HEADER_FILL = PatternFill("solid", fgColor="366092")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)


def filename(day):
    return display.download_name("Saldos bancarios", "xlsx", day=day)


def _cell(ws, value, number_format=None, font=None, fill=None):
    cell = WriteOnlyCell(ws, safe_cell(value) if isinstance(value, str) else value)
    if number_format:
        cell.number_format = number_format
    if font:
        cell.font = font
    if fill:
        cell.fill = fill
    return cell


def _header(ws, titles):
    ws.append([_cell(ws, str(t), font=HEADER_FONT, fill=HEADER_FILL) for t in titles])


def _widths(ws, widths):
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def _naive(value):
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, treasury.LIMA).replace(tzinfo=None)
    return value


def write_balances(day, rows, movements, target):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Balances"))
    _widths(ws, [34, 9, 14, 16, 16, 16, 16, 18, 14, 20])
    ws.append([_cell(ws, _("Bank balances at the end of %(date)s") % {"date": display.date(day)}, font=TITLE_FONT)])
    ws.append([])
    _header(
        ws,
        [
            _("Account"),
            _("Currency"),
            _("Opening date"),
            _("Start of day"),
            _("Money in"),
            _("Money out"),
            _("End of day"),
            _("Statement"),
            _("Difference"),
            _("Reconciled"),
        ],
    )
    for row in rows:
        ws.append(
            [
                _cell(ws, str(row.account)),
                _cell(ws, row.account.currency),
                _cell(ws, row.opening_date, "dd/mm/yyyy"),
                _cell(ws, row.start_balance, AMOUNT_FORMAT),
                _cell(ws, row.day_in if row.has_opening else None, AMOUNT_FORMAT),
                _cell(ws, row.day_out if row.has_opening else None, AMOUNT_FORMAT),
                _cell(ws, row.balance, AMOUNT_FORMAT) if row.has_opening else _cell(ws, _("No opening balance")),
                _cell(ws, row.statement_balance, AMOUNT_FORMAT),
                _cell(ws, row.difference, AMOUNT_FORMAT),
                _cell(ws, display.datetime(row.reconciled_at, empty="")),
            ]
        )
    ws.append([])
    for total in treasury.totals_by_currency(rows):
        ws.append(
            [
                _cell(ws, _("Total %(currency)s") % {"currency": display.currency_label(total.currency)}, font=BOLD),
                _cell(ws, total.currency),
                None,
                None,
                None,
                None,
                _cell(ws, total.balance, AMOUNT_FORMAT, font=BOLD),
            ]
        )
    accounts = {row.account.pk: row.account for row in rows}
    ws = wb.create_sheet(_("Movements"))
    _widths(ws, [34, 9, 17, 28, 44, 16])
    _header(ws, [_("Account"), _("Currency"), _("Registered at"), _("Kind"), _("Detail"), _("Amount")])
    for account_id, items in movements.items():
        account = accounts.get(account_id)
        if account is None:
            continue
        for m in items:
            ws.append(
                [
                    _cell(ws, str(account)),
                    _cell(ws, account.currency),
                    _cell(ws, _naive(m.at), "dd/mm/yyyy hh:mm"),
                    _cell(ws, m.label),
                    _cell(ws, m.detail),
                    _cell(ws, m.amount, AMOUNT_FORMAT),
                ]
            )
    wb.save(target)
