"""The clients sheet, streamed: ClientResource's columns filled from plain rows, written in constant memory.

The admin's "Exportar" and the background export both come here. The columns are the resource's
own (one set for export and import, so the file imports back unchanged) and each value is what the
resource renders for it; only the way rows are read differs from the library's `export()`: clients
come as `values()` rows from one server-side cursor, and each batch of them gets its operation
counts and active accounts in one grouped query each (no model instance, no query per client, no
OFFSET paging). Memory holds one batch; the file goes to disk row by row (qoricash.spreadsheet).
"""

from __future__ import annotations

from collections import namedtuple
from itertools import islice

from django.db.models import Count
from django.utils.translation import gettext as _

from clients import hooks
from clients.models import BankAccount, ClientStatus, DocumentType
from qoricash import display, spreadsheet

BATCH = 1000  # clients per batch: 3 queries per batch; well under SQLite's bound-parameter limit

HEADER_STYLE = {
    "font": spreadsheet.font(bold=True, color="FFFFFF"),
    "fill": spreadsheet.fill("366092"),
}

AccountCell = namedtuple("AccountCell", "bank account_type currency number cci location")


def display_name(row) -> str:
    """Client.display_name, from a values() row."""
    if row["document_type"] == DocumentType.RUC:
        return (row["razon_social"] or "").upper()
    return " ".join(p for p in (row["apellido_paterno"], row["apellido_materno"], row["nombres"]) if p).upper()


def _account_getter(index, widget):
    render = widget.renderer()

    def get(row):
        accounts = row["_accounts"]
        return render(accounts[index] if index < len(accounts) else None)

    return get


def _special_columns():
    """Columns not rendered from their own attribute (the resource's dehydrate_* methods, on a plain
    row): name -> (the values() keys it reads, row -> cell)."""
    doc_labels = {code: str(label) for code, label in DocumentType.choices}
    status_labels = {code: str(label) for code, label in ClientStatus.choices}
    return {
        "document_type": (("document_type",), lambda row: doc_labels.get(row["document_type"], row["document_type"])),
        "full_name": (
            ("document_type", "razon_social", "apellido_paterno", "apellido_materno", "nombres"),
            display_name,
        ),
        "owner": (("owner__username",), lambda row: row["owner__username"] or ""),
        "created_by": (("created_by__email",), lambda row: row["created_by__email"] or ""),
        "created_at": (("created_at",), lambda row: display.datetime(row["created_at"])),
        "status": (("status",), lambda row: status_labels.get(row["status"], row["status"])),
        "operation_count": ((), lambda row: row["_counts"][0]),
        "completed_operation_count": ((), lambda row: row["_counts"][1]),
    }


def _columns(resource, fields):
    """(values() keys read, row -> cell) per export column, rendering as the resource does. A column
    of the resource with an attribute needs nothing here: its attribute is read and its widget renders it."""
    special = _special_columns()
    columns = []
    for field in fields:
        name = resource.get_field_name(field)
        index = getattr(field, "account_index", None)
        if name in special:
            columns.append(special[name])
        elif index is not None:
            columns.append(((), _account_getter(index, field.widget)))
        elif field.attribute:
            columns.append(((field.attribute,), lambda row, a=field.attribute, w=field.widget: w.render(row[a])))
        else:  # a read-only column added to the resource without a value here: fail loudly, in tests first
            raise LookupError(f"clients export: no value for column {name!r}")
    return columns


def _with_batch_facts(batch):
    """Attach `_counts` (all, completed) and `_accounts` (active, oldest first) to each row of a batch."""
    ids = [row["id"] for row in batch]
    totals, completed = {}, {}
    if hooks.client_operations() is not None:
        for target, operations in (
            (totals, hooks.client_operations()),
            (completed, hooks.client_operations(completed=True)),
        ):
            grouped = operations.filter(client_id__in=ids).order_by().values_list("client_id").annotate(n=Count("pk"))
            target.update(grouped)
    accounts = {}
    for client_id, *parts in (
        BankAccount.objects.filter(client_id__in=ids, is_active=True)
        .order_by("client_id", "id")
        .values_list("client_id", "bank", "account_type", "currency", "number", "cci", "location")
    ):
        accounts.setdefault(client_id, []).append(AccountCell(*parts))
    for row in batch:
        row["_counts"] = (totals.get(row["id"], 0), completed.get(row["id"], 0))
        row["_accounts"] = accounts.get(row["id"], [])
    return batch


def client_rows(queryset, values):
    """The queryset's clients as `values()` rows (plus "id") with their counts and accounts, in the
    queryset's order."""
    cursor = queryset.values(*dict.fromkeys(("id", *values))).iterator(chunk_size=BATCH)
    while batch := list(islice(cursor, BATCH)):
        yield from _with_batch_facts(batch)


def export_values(resource, queryset):
    """(headers, rows): the export's header line and each client's cells, as the resource renders them."""
    fields = resource.get_export_fields()
    columns = _columns(resource, fields)
    values = [key for reads, _get in columns for key in reads]
    headers = [str(field.column_name) for field in fields]
    rows = ([get(row) for _reads, get in columns] for row in client_rows(queryset, values))
    return headers, rows


def write_table(target, title, headers, rows) -> int:
    """The clients look (bold white header on 366092, frozen header, widths that fit): returns the rows.

    Text a spreadsheet would run (=, +, -, @…) is stored as a quote-prefixed text cell with its value
    unchanged, so the file shows it as typed and imports back as it was.
    """
    count = 0
    with spreadsheet.Workbook(target) as book:
        sheet = book.sheet(title or _("Clients"))
        sheet.freeze(1)
        sheet.append(sheet.header([str(h) for h in headers], HEADER_STYLE))
        widths = [len(str(h)) for h in headers]
        columns = len(widths)
        triggers = spreadsheet.FORMULA_TRIGGERS
        for row in rows:
            cells = []
            add = cells.append
            for i, value in enumerate(row):
                if value is None or value == "":
                    add(None)
                    continue
                if type(value) is str:
                    add(sheet.cell(value) if value.startswith(triggers) else value)
                    width = len(value)
                else:
                    add(sheet.cell(value) if spreadsheet.is_formula_like(value) else value)
                    width = len(str(value))
                if i < columns and width > widths[i]:
                    widths[i] = width
            sheet.append(cells)
            count += 1
        sheet.widths([min(max(width + 2, 8), 60) for width in widths])
    return count


def write_clients_xlsx(resource, queryset, target) -> int:
    """The clients sheet of `queryset` into `target` (a path or a binary file); returns the rows written."""
    headers, rows = export_values(resource, queryset)
    return write_table(target, _("Clients"), headers, rows)
