"""Excel writers (qoricash.spreadsheet: XlsxWriter in constant memory, rows go to disk as they come).

Numbers are written as numbers with a number format, dates as dates (Lima wall-clock time), so the
files sort, sum and filter in Excel. Every text cell goes through qoricash.spreadsheet.safe_cell: a
client called '=HYPERLINK(...)' is written as text, never as a live formula. The figures come from
reports.services; nothing is computed here except the running totals of the rows being written.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import zip_longest

from django.utils import formats
from django.utils.translation import pgettext

from operations.models import OperationStatus, OperationType
from qoricash import display, spreadsheet
from qoricash.spreadsheet import CENTER, Cell, fill, font, safe_cell

from . import services

USD_FORMAT = "#,##0.00"
PEN_FORMAT = f'"{display.currency_label("PEN")} "#,##0.00'
RATE_FORMAT = "0.0000"
COUNT_FORMAT = "#,##0"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

HEADER_FILL = fill("366092")
HEADER_FONT = font(bold=True, color="FFFFFF")
BANNER_FONT = font(bold=True, size=12, color="366092")
TITLE_FONT = font(bold=True, size=14)
BOLD = font(bold=True)
ALERT_FONT = font(bold=True, color="C00000")
QUIET_FONT = font(italic=True, color="595959")
CRITICAL_FILL = fill("FFF2CC")
TOTAL_FILL = fill("DDEBF7")

POSITION_SHEET = "Posición"
HISTORY_SHEET = "Historial de Operaciones"


def position_filename(position) -> str:
    if position.is_single_day:
        return display.download_name("Posicion", "xlsx", day=position.date_from)
    start = formats.date_format(position.date_from, "d-m-Y")
    return display.download_name(f"Posicion desde {start} hasta", "xlsx", day=position.date_to)


def history_filename(now=None) -> str:
    return display.download_name("Historial de operaciones", "xlsx", day=services.lima_now(now).date())


class _Sheet(spreadsheet.Sheet):
    """A sheet whose styled text cells are made safe the way every report file is (a quote character)."""

    def cell(self, value, number_format=None, font=None, fill=None, alignment=None):
        return super().cell(safe_cell(value), number_format, font, fill, alignment)

    def header(self, titles):
        return [self.cell(t, font=HEADER_FONT, fill=HEADER_FILL, alignment=CENTER) for t in titles]


def _open(target, sheet_name):
    book = spreadsheet.Workbook(target)
    return book, book.sheet(sheet_name, _Sheet)


# --- Position ---------------------------------------------------------------------------------

BLOCK_WIDTH = 6  # ID, Cliente, USD, T.C., PEN, Estado
SPACER = 1


def _position_block_cells(sheet, row, fill=None):
    if row is None:
        return [None] * BLOCK_WIDTH
    return [
        sheet.cell(row.code, fill=fill),
        sheet.cell(row.client, fill=fill),
        sheet.cell(row.usd, USD_FORMAT, fill=fill),
        sheet.cell(row.rate, RATE_FORMAT, fill=fill),
        sheet.cell(row.pen, PEN_FORMAT, fill=fill),
        sheet.cell(row.status_label + (" ⚠ " + row.critical_reason if row.critical else ""), fill=fill),
    ]


def write_position(position, target, *, include_profit: bool, rows=None):
    """Write the position workbook to `target` (path or binary file).

    `rows` is (buys, sells), two iterables of PositionRow; by default the rows held by `position`.
    """
    buys, sells = rows if rows is not None else (position.buys, position.sells)
    wb, sheet = _open(target, POSITION_SHEET)
    with wb:
        _write_position(sheet, position, buys, sells, include_profit)


def _write_position(sheet, position, buys, sells, include_profit):
    sheet.widths([30, 34, 15, 14, 17, 28, 3, 16, 34, 15, 10, 17, 28])
    c = sheet.cell

    period = (
        pgettext("report", "Date: %(date)s") % {"date": display.date(position.date_from)}
        if position.is_single_day
        else pgettext("report", "From %(start)s to %(end)s")
        % {"start": display.date(position.date_from), "end": display.date(position.date_to)}
    )
    sheet.append([c(pgettext("report", "POSITION REPORT"), font=TITLE_FONT)])
    sheet.append(
        [
            c(period, font=BOLD),
            None,
            c(pgettext("report", "Generated:")),
            c(services.local_naive(position.generated_at), DATETIME_FORMAT),
        ]
    )
    sheet.append([])
    sheet.append([c(pgettext("report", "SUMMARY"), font=BANNER_FONT)])
    sheet.append(
        sheet.header(
            [
                pgettext("report", "Type"),
                pgettext("report", "Operations"),
                pgettext("report", "Total USD"),
                pgettext("report", "Average rate"),
                pgettext("report", "PEN equivalent"),
                pgettext("report", "Detail"),
            ]
        )
    )

    def side_rows(title, side):
        sheet.append(
            [
                c(title, font=BOLD),
                c(side.count, COUNT_FORMAT, font=BOLD),
                c(side.usd, USD_FORMAT, font=BOLD),
                c(side.avg_rate, RATE_FORMAT, font=BOLD),
                c(side.pen, PEN_FORMAT, font=BOLD),
            ]
        )
        sheet.append(
            [
                c("   " + pgettext("report", "Completed")),
                c(side.count_completed, COUNT_FORMAT),
                c(side.usd_completed, USD_FORMAT),
                None,
                c(side.pen_completed, PEN_FORMAT),
            ]
        )
        sheet.append(
            [
                c("   " + pgettext("report", "Pending / in process")),
                c(side.count_open, COUNT_FORMAT),
                c(side.usd_open, USD_FORMAT),
                None,
                c(side.pen_open, PEN_FORMAT),
            ]
        )

    side_rows(pgettext("report", "Purchases"), position.buy)
    side_rows(pgettext("report", "Sales"), position.sell)
    sheet.append(
        [
            c(pgettext("report", "Net USD (bought − sold)"), font=BOLD),
            None,
            c(position.net_usd, USD_FORMAT, font=BOLD),
            None,
            None,
            c(position.net_label, font=BOLD),
        ]
    )
    sheet.append(
        [
            c(pgettext("report", "Open position"), font=BOLD),
            None,
            c(position.net_abs, USD_FORMAT),
            c(position.open_rate, RATE_FORMAT),
            c(position.open_pen, PEN_FORMAT),
            c(position.net_label),
        ]
    )
    if include_profit:
        sheet.append(
            [
                c(str(services.EXPECTED_LABEL), font=BOLD),
                None,
                None,
                None,
                c(position.profit.expected, PEN_FORMAT, font=BOLD),
            ]
        )
        sheet.append(
            [
                c(str(services.REALISED_LABEL), font=BOLD),
                None,
                None,
                None,
                c(position.profit.realised, PEN_FORMAT, font=BOLD),
            ]
        )
        spread_rate = position.sell.avg_rate - position.buy.avg_rate if position.matched_usd else None
        sheet.append(
            [
                c(pgettext("report", "Matched-volume spread"), font=BOLD),
                None,
                c(position.matched_usd, USD_FORMAT),
                c(spread_rate, RATE_FORMAT),
                c(position.matched_spread_pen, PEN_FORMAT),
                c(pgettext("report", "min(USD bought, USD sold) × (avg sell − avg buy)")),
            ]
        )
    if position.imbalance:
        sheet.append(
            [
                c(
                    pgettext("report", "ALERT: imbalance of %(usd)s USD exceeds the limit of %(limit)s USD.")
                    % {"usd": display.money(position.net_abs), "limit": display.money(position.imbalance_limit)},
                    font=ALERT_FONT,
                )
            ]
        )
    sheet.append([])
    sheet.append([])

    spacer = [None] * SPACER
    sheet.append(
        [
            c(pgettext("report", "PURCHASES"), font=BANNER_FONT),
            *[None] * (BLOCK_WIDTH - 1),
            *spacer,
            c(pgettext("report", "SALES"), font=BANNER_FONT),
        ]
    )
    titles = [
        pgettext("report", "Operation ID"),
        pgettext("report", "Client"),
        "USD",
        pgettext("report", "Rate"),
        "PEN",
        pgettext("report", "Status"),
    ]
    sheet.append([*sheet.header(titles), *spacer, *sheet.header(titles)])
    for buy, sell in zip_longest(buys, sells):
        sheet.append(
            [
                *_position_block_cells(sheet, buy, CRITICAL_FILL if buy is not None and buy.critical else None),
                *spacer,
                *_position_block_cells(sheet, sell, CRITICAL_FILL if sell is not None and sell.critical else None),
            ]
        )
    sheet.append([])

    def total_cells(title, side):
        return [
            c(title, font=BOLD, fill=TOTAL_FILL),
            c(None, fill=TOTAL_FILL),
            c(side.usd, USD_FORMAT, font=BOLD, fill=TOTAL_FILL),
            c(None, fill=TOTAL_FILL),
            c(side.pen, PEN_FORMAT, font=BOLD, fill=TOTAL_FILL),
            c(None, fill=TOTAL_FILL),
        ]

    sheet.append(
        [
            *total_cells(pgettext("report", "TOTAL PURCHASES"), position.buy),
            *spacer,
            *total_cells(pgettext("report", "TOTAL SALES"), position.sell),
        ]
    )


# --- History ----------------------------------------------------------------------------------


def history_columns(include_creator: bool):
    columns = [
        (pgettext("report", "OP. ID"), 13),
        (pgettext("report", "TYPE"), 9),
        (pgettext("report", "DOCUMENT"), 16),
        (pgettext("report", "CLIENT"), 36),
        ("USD", 14),
        (pgettext("report", "RATE"), 9),
        ("PEN", 16),
        (pgettext("report", "DEBIT ACCOUNT"), 26),
        (pgettext("report", "DESTINATION ACCOUNT"), 26),
        (pgettext("report", "STATUS"), 13),
        (pgettext("report", "DATE"), 17),
        (pgettext("report", "ACCOUNT EXECUTIVE"), 24),
        (pgettext("report", "OPERATOR"), 24),
    ]
    if include_creator:
        columns.append((pgettext("report", "USER"), 30))
    return columns


def write_history(rows, target, *, include_creator: bool, progress=None, progress_every=10_000):
    """Write the history workbook from values() rows (services.HISTORY_FIELDS); returns the totals.

    Every selected row is listed, cancelled ones too, but the totals rows add up only the operations
    that are not cancelled (as the position and the dashboard do); a last line counts the cancelled
    ones apart. Returns {"rows": rows written, "count"/"usd"/"pen": not cancelled, "buy"/"sell": not
    cancelled per side, "cancelled": {"count", "usd", "pen"}}.

    `progress(n)` is called every `progress_every` rows (the command prints a line).
    """
    wb, sheet = _open(target, HISTORY_SHEET)
    with wb:
        return _write_history(sheet, rows, include_creator, progress, progress_every)


def _write_history(sheet, rows, include_creator, progress, progress_every):
    columns = history_columns(include_creator)
    sheet.widths([w for _t, w in columns])
    sheet.freeze(1)
    sheet.append(sheet.header([t for t, _w in columns]))
    c = sheet.cell
    usd_format, rate_format, pen_format, date_format = (
        sheet.book.format({"num_format": f}) for f in (USD_FORMAT, RATE_FORMAT, PEN_FORMAT, DATETIME_FORMAT)
    )
    labels_status = {}
    labels_type = {t: services.type_label(t) for t in OperationType.values}
    triggers = spreadsheet.FORMULA_TRIGGERS
    # A history has a handful of people and up to a million rows: each name is built once.
    names = {}

    def name(row, prefix):
        key = (row.get(prefix + "__username"), row.get(prefix + "__first_name"), row.get(prefix + "__last_name"))
        text = names.get(key)
        if text is None:
            text = names[key] = safe_cell(services.user_display_name(row, prefix))
        return text

    # Lima's offset from UTC, looked up once per hour of the rows (they come in creation order).
    offsets = {}

    def local(value):
        hour = (value.tzinfo, value.year, value.month, value.day, value.hour)
        offset = offsets.get(hour)
        if offset is None:
            if len(offsets) > 10_000:
                offsets.clear()
            offset = offsets[hour] = services.local_naive(value) - value.replace(tzinfo=None)
        return value.replace(tzinfo=None) + offset

    def zero():
        return {"count": 0, "usd": Decimal(0), "pen": Decimal(0)}

    totals = {OperationType.BUY: zero(), OperationType.SELL: zero()}
    cancelled = zero()
    count = 0
    for row in rows:
        status = row["status"]
        if status not in labels_status:
            labels_status[status] = services.status_label(status)
        code = row["code"]
        document = f"{row['client__document_type']} {row['client__document_number']}"
        client = services.client_name(row)
        source = row["source_snapshot"]
        destination = row["destination_snapshot"]
        # Plain values and four shared formats (this file can have a million rows), each text safe.
        cells = [
            "'" + code if code.startswith(triggers) else code,
            labels_type[row["type"]],
            "'" + document if document.startswith(triggers) else document,
            "'" + client if client.startswith(triggers) else client,
            Cell(row["amount_usd"], usd_format),
            Cell(row["rate"], rate_format),
            Cell(row["amount_pen"], pen_format),
            safe_cell(source) or "-",
            safe_cell(destination) or "-",
            labels_status[status],
            Cell(local(row["created_at"]), date_format),
            name(row, "trader"),
            name(row, "assigned_operator") or name(row, "processed_by") or "-",
        ]
        if include_creator:
            cells.append(safe_cell(row["created_by__email"]) or "")
        sheet.append(cells)
        side = cancelled if status == OperationStatus.CANCELLED else totals[row["type"]]
        side["count"] += 1
        side["usd"] += row["amount_usd"]
        side["pen"] += row["amount_pen"]
        count += 1
        if progress and count % progress_every == 0:
            progress(count)

    if count:
        sheet.autofilter(0, count, len(columns))
    sheet.append([])
    # The count stays a number; the format only adds the word.
    count_format = '#,##0 "{}"'.format(pgettext("report", "operations"))
    buy, sell = totals[OperationType.BUY], totals[OperationType.SELL]
    grand = {"count": buy["count"] + sell["count"], "usd": buy["usd"] + sell["usd"], "pen": buy["pen"] + sell["pen"]}
    for title, data, row_font, row_fill in (
        (pgettext("report", "TOTAL PURCHASES (not cancelled)"), buy, BOLD, TOTAL_FILL),
        (pgettext("report", "TOTAL SALES (not cancelled)"), sell, BOLD, TOTAL_FILL),
        (pgettext("report", "TOTAL (not cancelled)"), grand, BOLD, TOTAL_FILL),
        # Listed above but in no total: TOTAL + this line = the sum of the whole column.
        (pgettext("report", "CANCELLED (not in the totals)"), cancelled, QUIET_FONT, None),
    ):
        sheet.append(
            [
                c(title, font=row_font, fill=row_fill),
                c(None, fill=row_fill),
                c(None, fill=row_fill),
                c(data["count"], count_format, font=row_font, fill=row_fill),
                c(data["usd"], USD_FORMAT, font=row_font, fill=row_fill),
                c(None, fill=row_fill),
                c(data["pen"], PEN_FORMAT, font=row_font, fill=row_fill),
            ]
        )
    return {"rows": count, "buy": buy, "sell": sell, **grand, "cancelled": cancelled}
