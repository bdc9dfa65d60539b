"""The "Saldos bancarios" Excel file: balances at the end of a day and that day's movements.

Written by qoricash.spreadsheet like every other export: numbers as numbers with a number format,
text through `sheet.cell`, so text a spreadsheet would run is stored as a quote-prefixed text cell
with its value unchanged. The figures come from operations.treasury, nothing is computed here.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from operations import treasury
from qoricash import display, spreadsheet

AMOUNT_FORMAT = "#,##0.00;-#,##0.00"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
HEADER_STYLE = {"font": spreadsheet.font(bold=True, color="FFFFFF"), "fill": spreadsheet.fill("366092")}
TITLE_FONT = spreadsheet.font(bold=True, size=14)
BOLD = spreadsheet.font(bold=True)


def filename(day):
    return display.download_name("Saldos bancarios", "xlsx", day=day)


def _naive(value):
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, treasury.LIMA).replace(tzinfo=None)
    return value


def write_balances(day, rows, movements, target):
    with spreadsheet.Workbook(target) as book:
        _balances(book.sheet(_("Balances")), day, rows)
        _movements(book.sheet(_("Movements")), rows, movements)


def _balances(sheet, day, rows):
    c = sheet.cell
    sheet.widths([34, 9, 14, 16, 16, 16, 16, 18, 14, 20])
    sheet.append([c(_("Bank balances at the end of %(date)s") % {"date": display.date(day)}, font=TITLE_FONT)])
    sheet.append([])
    titles = [
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
    ]
    sheet.append(sheet.header([str(t) for t in titles], HEADER_STYLE))
    for row in rows:
        sheet.append(
            [
                c(str(row.account)),
                c(row.account.currency),
                c(row.opening_date, DATE_FORMAT),
                c(row.start_balance, AMOUNT_FORMAT),
                c(row.day_in if row.has_opening else None, AMOUNT_FORMAT),
                c(row.day_out if row.has_opening else None, AMOUNT_FORMAT),
                c(row.balance, AMOUNT_FORMAT) if row.has_opening else c(_("No opening balance")),
                c(row.statement_balance, AMOUNT_FORMAT),
                c(row.difference, AMOUNT_FORMAT),
                c(display.datetime(row.reconciled_at, empty="")),
            ]
        )
    sheet.append([])
    for total in treasury.totals_by_currency(rows):
        sheet.append(
            [
                c(_("Total %(currency)s") % {"currency": display.currency_label(total.currency)}, font=BOLD),
                c(total.currency),
                None,
                None,
                None,
                None,
                c(total.balance, AMOUNT_FORMAT, font=BOLD),
            ]
        )


def _movements(sheet, rows, movements):
    c = sheet.cell
    accounts = {row.account.pk: row.account for row in rows}
    sheet.widths([34, 9, 17, 28, 44, 16])
    titles = [_("Account"), _("Currency"), _("Registered at"), _("Kind"), _("Detail"), _("Amount")]
    sheet.append(sheet.header([str(t) for t in titles], HEADER_STYLE))
    for account_id, items in movements.items():
        account = accounts.get(account_id)
        if account is None:
            continue
        for m in items:
            sheet.append(
                [
                    c(str(account)),
                    c(account.currency),
                    c(_naive(m.at), DATETIME_FORMAT),
                    c(str(m.label)),
                    c(m.detail),
                    c(m.amount, AMOUNT_FORMAT),
                ]
            )
