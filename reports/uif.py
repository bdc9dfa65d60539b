"""The operations register for the UIF (Registro de Operaciones): one calendar month (Lima) of the
operations flagged by operations.services.compliance (single and multiple), with the client's
identification and the origin of the funds. One query for the page, the Excel file and the command.

Cancelled operations belong to no register (their flags are cleared when they are cancelled).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from operations import compliance
from operations.models import Operation, OperationStatus
from qoricash import display
from qoricash.spreadsheet import Cell, safe_cell

from . import excel, services

SHEET = "Registro de Operaciones"
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def bounds(self):
        return compliance.month_of(self.year, self.month)

    @property
    def value(self):
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self):
        # Spanish writes months in lower case: "noviembre de 2026".
        return formats.date_format(dt.date(self.year, self.month, 1), "F \\d\\e Y").lower()


def parse_month(text, today=None):
    """'2026-11' → Month; empty → the current Lima month; anything else → a Spanish ValidationError."""
    if not text:
        today = today or services.lima_today()
        return Month(today.year, today.month)
    found = _MONTH.fullmatch(str(text).strip())
    if not found or not (1 <= int(found.group(2)) <= 12) or not (2000 <= int(found.group(1)) <= 2100):
        raise ValidationError(_("Give the month as YYYY-MM (for example 2026-11)."))
    return Month(int(found.group(1)), int(found.group(2)))


def register_operations(month: Month, queryset=None):
    """The month's flagged operations that are not cancelled, oldest first, with what the rows show."""
    start, end = month.bounds
    queryset = Operation.objects.all() if queryset is None else queryset
    return (
        queryset.filter(created_at__gte=start, created_at__lt=end)
        .filter(Q(ro_single=True) | Q(ro_multiple=True))
        .exclude(status=OperationStatus.CANCELLED)
        .select_related("client", "trader", "funds_declaration")
        .order_by("created_at", "id")
    )


def register_kind(op):
    if op.ro_single and op.ro_multiple:
        return _("Single and multiple")
    return _("Single") if op.ro_single else _("Multiple")


def client_identity(client):
    """Name, nationality or activity, and address: what the register identifies a client by."""
    address = ", ".join(p for p in (client.address, client.district, client.province, client.department) if p)
    if client.is_company:
        rep = client.legal_rep_name
        if client.legal_rep_document_number:
            rep = f"{rep} ({client.legal_rep_document_type} {client.legal_rep_document_number})"
        return {
            "name": client.display_name,
            "nationality": "",
            "activity": client.economic_activity,
            "legal_rep": rep,
            "address": address,
        }
    return {
        "name": client.display_name,
        "nationality": client.nationality,
        "activity": client.occupation,
        "legal_rep": "",
        "address": address,
    }


def origin_text(op):
    declaration = getattr(op, "funds_declaration", None)
    return declaration.summary if declaration else ""


def filename(month: Month) -> str:
    start, _end = month.bounds
    return display.download_name(f"Registro UIF {month.value}", "xlsx", day=start.date())


COLUMNS = (
    (pgettext("report", "DATE AND TIME"), 17),
    (pgettext("report", "OP. ID"), 12),
    (pgettext("report", "TYPE"), 9),
    (pgettext("report", "REGISTER"), 16),
    (pgettext("report", "STATUS"), 12),
    ("USD", 14),
    (pgettext("report", "RATE"), 9),
    ("PEN", 16),
    (pgettext("report", "DOC. TYPE"), 9),
    (pgettext("report", "DOC. NUMBER"), 14),
    (pgettext("report", "CLIENT"), 34),
    (pgettext("report", "NATIONALITY"), 14),
    (pgettext("report", "OCCUPATION / ACTIVITY"), 26),
    (pgettext("report", "LEGAL REPRESENTATIVE"), 30),
    (pgettext("report", "ADDRESS"), 40),
    ("PEP", 6),
    (pgettext("report", "ACCOUNT EXECUTIVE"), 24),
    (pgettext("report", "ORIGIN OF FUNDS"), 30),
)


def write_register(operations, target):
    """Write the register workbook (numbers as numbers, dates as dates); returns the rows written."""
    wb, sheet = excel._open(target, SHEET)
    with wb:
        return _write_register(sheet, operations)


def _write_register(sheet, operations):
    sheet.widths([w for _t, w in COLUMNS])
    sheet.freeze(1)
    sheet.append(sheet.header([t for t, _w in COLUMNS]))
    usd, rate, pen, when = (
        sheet.book.format({"num_format": f})
        for f in (excel.USD_FORMAT, excel.RATE_FORMAT, excel.PEN_FORMAT, excel.DATETIME_FORMAT)
    )
    count = 0
    for op in operations.iterator(chunk_size=1000):
        who = client_identity(op.client)
        sheet.append(
            [
                Cell(services.local_naive(op.created_at), when),
                safe_cell(op.code),
                str(op.get_type_display()),
                str(register_kind(op)),
                str(op.get_status_display()),
                Cell(op.amount_usd, usd),
                Cell(op.rate, rate),
                Cell(op.amount_pen, pen),
                safe_cell(op.client.document_type),
                safe_cell(op.client.document_number),
                safe_cell(who["name"]),
                safe_cell(who["nationality"]) or "",
                safe_cell(who["activity"]) or "",
                safe_cell(who["legal_rep"]) or "",
                safe_cell(who["address"]) or "",
                _("Yes") if op.client.is_pep else _("No"),
                safe_cell(op.trader.display_name),
                safe_cell(origin_text(op)) or "",
            ]
        )
        count += 1
    if count:
        sheet.autofilter(0, count, len(COLUMNS))
    return count
