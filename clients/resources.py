"""Clients to and from a spreadsheet with django-import-export (admin: Clientes → Importar / Exportar).

One resource, one set of columns: the file the export gives imports back as it is.
- Export: one xlsx sheet "Clientes" with every column the import reads, plus read-only columns
  (ID, full name, who registered, registration date, status, operation counts) that the import
  ignores, and the active bank accounts as "Cuenta Bancaria 1…6" cells
  ("Banco | Tipo | Moneda | Número | CCI | Ubicación"), masked to their last 4 digits unless the user
  holds `clients.view_full_accounts`.
- Import: a row whose document is already a client of the user's portfolio updates it
  (`services.update_client`; an unchanged row is skipped), any other row registers a new client
  (`services.import_client`, Inactivo, owned by the importer or the "Ejecutivo" given). An account
  cell equal to an active account (a masked number matches by its last digits) changes nothing; a
  new one is added. An import never deactivates an account. Unknown or missing columns are refused
  before any row is read; then the file is all-or-nothing, every bad row listed with its number.
"""

import copy
import csv
import datetime
import functools
import io
import logging
import re
import unicodedata

import tablib
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from import_export import fields, instance_loaders, resources, widgets
from import_export.formats import base_formats
from import_export.resources import Diff

from clients import services
from clients.exports import write_table
from clients.models import AccountType, Bank, BankAccount, Client, ClientStatus, Currency, DocumentType, Location
from clients.validators import mask
from qoricash import context, display

logger = logging.getLogger(__name__)

MAX_ACCOUNT_COLUMNS = BankAccount.MAX_ACTIVE
# Rows of a file the preview page shows (all are checked; the totals cover all).
PREVIEW_ROWS = 100
# Document numbers per query when the file's clients are read (under SQLite's bound-parameter limit).
LOOKUP_CHUNK = 500
ACCOUNT_PARTS = 6  # bank | type | currency | number | CCI | location


@functools.lru_cache(maxsize=4096)
def slug(text):
    """'Número Documento' → 'numero_documento': how headers and choice values are compared.

    Remembered: a file repeats the same few choice values ("DNI", "BCP", "Ahorro") in every row."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def is_masked(number):
    return "*" in (number or "")


# --- Widgets ------------------------------------------------------------------------------------
class TextWidget(widgets.Widget):
    """Cells as clean text: None → "", 12345678.0 → "12345678", surrounding spaces dropped."""

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class ChoiceWidget(TextWidget):
    """Accepts a choice's code or its label (any case or accents) plus a few common aliases."""

    def __init__(self, choices, aliases=None, label=""):
        super().__init__()
        self.labels = dict(choices)
        self.lookup = {slug(alias): code for alias, code in (aliases or {}).items()}
        for code, text in choices:
            self.lookup[slug(code)] = code
            self.lookup[slug(str(text))] = code
        self.label = label

    def render(self, value, obj=None, **kwargs):
        # What people read: "Ahorro", "Lima", "Interbank" (accepted back by clean()).
        return "" if value in (None, "") else str(self.labels.get(value, value))

    def renderer(self):
        """render() with the labels translated once, for a file that renders thousands of cells."""
        labels = {code: str(text) for code, text in self.labels.items()}

        def render(value):
            if value in (None, ""):
                return ""
            text = labels.get(value)
            return str(value) if text is None else text

        return render

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value)
        if not text:
            return ""
        code = self.lookup.get(slug(text))
        if code is None:
            raise ValueError(
                _("'%(value)s' is not a valid value for %(field)s.") % {"value": text, "field": self.label}
            )
        return code


class YesNoWidget(TextWidget):
    YES = {"si", "s", "yes", "y", "true", "1", "x", "verdadero"}
    NO = {"", "no", "n", "false", "0", "falso"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = slug(super().clean(value))
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(_("Write SÍ or NO."))

    def render(self, value, obj=None, **kwargs):
        if value is None or value == "":
            return ""
        return _("Yes") if value else _("No")


class DateWidget(TextWidget):
    """A date as staff type it (30/11/1985, also 1985-11-30 or an Excel date cell); written as dd/mm/aaaa."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = super().clean(value)
        if not text:
            return None
        for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
            try:
                return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
            except ValueError:
                continue
        raise ValueError(_("'%(value)s' is not a date: write it as dd/mm/aaaa.") % {"value": text})

    def render(self, value, obj=None, **kwargs):
        return value.strftime("%d/%m/%Y") if isinstance(value, datetime.date) else ""


class OwnerWidget(TextWidget):
    """The "Ejecutivo" column: a username (empty = the importing user for a new client)."""

    def clean(self, value, row=None, owners=None, **kwargs):
        username = super().clean(value)
        if not username:
            return None
        # `owners`: the import's own cache, so a file naming the same trader 5,000 times reads it once
        # (and the same user object carries its permissions from one row to the next).
        cache = owners if owners is not None else {}
        if username not in cache:
            cache[username] = get_user_model().objects.filter(username__iexact=username).first()
        user = cache[username]
        if user is None:
            raise ValueError(_("There is no user '%(username)s'.") % {"username": username})
        return user

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value.get_username()


DOC_TYPE_ALIASES = {
    "pasaporte": DocumentType.PASSPORT,
    "passport": DocumentType.PASSPORT,
    "carnet de extranjeria": DocumentType.CE,
    "carne de extranjeria": DocumentType.CE,
}
DOC_TYPE_LABEL = pgettext_lazy("column", "Document type")
BANK = ChoiceWidget(Bank.choices, {"banco de credito": Bank.BCP, "nacion": Bank.BN}, pgettext_lazy("column", "Bank"))
ACCOUNT_TYPE = ChoiceWidget(
    AccountType.choices,
    {"ahorro": AccountType.SAVINGS, "ahorros": AccountType.SAVINGS, "corriente": AccountType.CHECKING},
    pgettext_lazy("column", "Account type"),
)
CURRENCY = ChoiceWidget(
    Currency.choices,
    {"s/": Currency.PEN, "soles": Currency.PEN, "$": Currency.USD, "us$": Currency.USD, "dolares": Currency.USD},
    pgettext_lazy("column", "Currency"),
)
LOCATION = ChoiceWidget(Location.choices, {"provincia": Location.PROVINCE}, pgettext_lazy("column", "Location"))


class AccountCellWidget(TextWidget):
    """One bank account in one cell: "BCP | Ahorro | PEN | 19112345678012 | 00219111234567801255 | Lima".

    clean() gives an unsaved BankAccount; the cells of the previous system (the first four parts)
    are accepted too. Numbers are masked on render unless `full_numbers`.
    """

    def __init__(self, full_numbers=False):
        super().__init__()
        self.full_numbers = full_numbers

    def _number(self, number):
        return number if self.full_numbers or not number else mask(number)

    def render(self, account, obj=None, **kwargs):
        return self.renderer()(account)

    def renderer(self):
        """render() with the choice labels translated once (the clients export renders one per account)."""
        bank, account_type, location = BANK.renderer(), ACCOUNT_TYPE.renderer(), LOCATION.renderer()
        number = self._number

        def render(account):
            if account is None:
                return ""
            return " | ".join(
                (
                    bank(account.bank),
                    account_type(account.account_type),
                    account.currency,
                    number(account.number),
                    number(account.cci),
                    location(account.location),
                )
            )

        return render

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value)
        if not text:
            return None
        parts = [part.strip() for part in text.split("|")]
        if not 4 <= len(parts) <= ACCOUNT_PARTS or not parts[3]:
            raise ValueError(_("Write the account as: bank | type | currency | number | CCI | location."))
        parts += [""] * (ACCOUNT_PARTS - len(parts))
        return BankAccount(
            bank=BANK.clean(parts[0]),
            account_type=ACCOUNT_TYPE.clean(parts[1]),
            currency=CURRENCY.clean(parts[2]),
            number=parts[3].replace(" ", ""),
            cci=parts[4].replace(" ", ""),
            location=LOCATION.clean(parts[5]) or Location.LIMA,
        )


def match_account(existing, account):
    """The active account `account` (read from a cell) stands for, or None for a new one.

    A masked number (****0123, from an export without full numbers) matches by its last digits.
    """
    for current in existing:
        if (current.bank, current.currency) != (account.bank, account.currency):
            continue
        if current.number == account.number:
            return current
        if is_masked(account.number) and current.number.endswith(account.number.lstrip("*")):
            return current
    return None


# --- Import behaviour ---------------------------------------------------------------------------
def _unexpected_error_message(row_number=None):
    """What the user reads about a failure we did not foresee: Spanish, no internal text."""
    if row_number is None:
        text = _("The file could not be imported because of an unexpected error. Nothing was saved.")
    else:
        # The header is row 1 of the file, so data row n is row n + 1 (as in the list of bad rows).
        text = _("Row %(row)d of the file could not be imported because of an unexpected error. Nothing was saved.") % {
            "row": row_number + 1
        }
    reference = context.get().request_id
    if reference and reference != "-":
        text += " " + _("If it happens again, give the administrator this reference: %(ref)s.") % {"ref": reference}
    else:
        text += " " + _("If it happens again, tell the administrator.")
    return text


class PreviewDiff(Diff):
    """The preview of an import: each row as people read it (labels, not stored codes), and for a
    client already registered which values the file changes.

    Only the first PREVIEW_ROWS rows of a preview get one: the page shows those (a table of 5,000
    clients takes longer to build and to read than it helps) and the confirmation shows none."""

    def __init__(self, resource, instance, new):
        self.shown = resource.previewed_row()
        self.left = [] if new or instance is None or not self.shown else resource.preview_values(instance)
        self.right = []
        self.new = new

    def compare_with(self, resource, instance):
        if self.shown:
            self.right = resource.preview_values(instance)

    def as_html(self):
        if not self.shown:
            return None
        # Plain values (the template escapes them), each with whether the file changes it.
        left = self.left or [None] * len(self.right)
        return [{"value": v, "changed": bool(self.left) and v != old} for v, old in zip(self.right, left, strict=False)]


def _drop_empty_preview_columns(result):
    """The preview shows only the columns with a value in some row (a clients file has 35)."""
    rows = [row for row in result.valid_rows() if row.diff]
    if not rows:
        return
    keep = [
        i for i in range(len(result.diff_headers)) if any(i < len(row.diff) and row.diff[i]["value"] for row in rows)
    ]
    result.diff_headers = [result.diff_headers[i] for i in keep]
    for row in rows:
        row.diff = [dict(row.diff[i], header=result.diff_headers[n]) for n, i in enumerate(keep)]


class ClientLoader(instance_loaders.ModelInstanceLoader):
    """Finds the client by document; a row whose document cells do not read is a new client, so its
    error is reported once, under its column, with the rest of the row's errors.

    The clients of the file were read by `ClientResource.before_import` in one query: a row is
    looked up in them, not in the database."""

    def get_instance(self, row):
        known = getattr(self.resource, "_existing", None)
        try:
            if known is None:
                return super().get_instance(row)
            return known.get(self.resource.document_key(row))
        except ValueError:
            return None


def _column(label, attribute, widget=None, **kwargs):
    return fields.Field(attribute=attribute, column_name=label, widget=widget or TextWidget(), **kwargs)


def _readonly(label, widget=None):
    return fields.Field(column_name=label, readonly=True, widget=widget or TextWidget())


class ClientResource(resources.ModelResource):
    id = fields.Field(
        attribute="id", column_name="ID", readonly=True, widget=widgets.IntegerWidget(coerce_to_string=False)
    )
    document_type = _column(
        DOC_TYPE_LABEL, "document_type", ChoiceWidget(DocumentType.choices, DOC_TYPE_ALIASES, DOC_TYPE_LABEL)
    )
    document_number = _column(pgettext_lazy("column", "Document number"), "document_number")
    full_name = _readonly(pgettext_lazy("column", "Full name"))
    apellido_paterno = _column(pgettext_lazy("column", "Paternal surname"), "apellido_paterno")
    apellido_materno = _column(pgettext_lazy("column", "Maternal surname"), "apellido_materno")
    nombres = _column(pgettext_lazy("column", "Given names"), "nombres")
    nationality = _column(pgettext_lazy("column", "Nationality"), "nationality")
    date_of_birth = _column(pgettext_lazy("column", "Date of birth"), "date_of_birth", DateWidget())
    occupation = _column(pgettext_lazy("column", "Occupation"), "occupation")
    razon_social = _column(pgettext_lazy("column", "Business name"), "razon_social")
    economic_activity = _column(pgettext_lazy("column", "Economic activity"), "economic_activity")
    contact_person = _column(pgettext_lazy("column", "Contact person"), "contact_person")
    legal_rep_name = _column(pgettext_lazy("column", "Legal representative"), "legal_rep_name")
    legal_rep_document_type = _column(
        pgettext_lazy("column", "Representative's document type"),
        "legal_rep_document_type",
        ChoiceWidget(DocumentType.choices, DOC_TYPE_ALIASES, pgettext_lazy("column", "Representative's document type")),
    )
    legal_rep_document_number = _column(
        pgettext_lazy("column", "Representative's document number"), "legal_rep_document_number"
    )
    email = _column(pgettext_lazy("column", "Email"), "email")
    cc_emails = _column(pgettext_lazy("column", "Copy e-mails"), "cc_emails")
    phones = _column(pgettext_lazy("column", "Phone"), "phones")
    address = _column(pgettext_lazy("column", "Address"), "address")
    district = _column(pgettext_lazy("column", "District"), "district")
    province = _column(pgettext_lazy("column", "Province"), "province")
    department = _column(pgettext_lazy("column", "Department"), "department")
    is_pep = _column(pgettext_lazy("column", "PEP"), "is_pep", YesNoWidget())
    pep_position = _column(pgettext_lazy("column", "PEP position"), "pep_position")
    pep_entity = _column(pgettext_lazy("column", "PEP entity"), "pep_entity")
    owner = _column(pgettext_lazy("column", "Account executive"), "owner", OwnerWidget(), saves_null_values=False)
    created_by = _readonly(pgettext_lazy("column", "Registered by"))
    created_at = _readonly(pgettext_lazy("column", "Registration date"))
    status = _readonly(pgettext_lazy("column", "Status"))
    operation_count = _readonly(
        pgettext_lazy("column", "Total operations"), widgets.IntegerWidget(coerce_to_string=False)
    )
    completed_operation_count = _readonly(
        pgettext_lazy("column", "Completed operations"), widgets.IntegerWidget(coerce_to_string=False)
    )

    required_columns = ("document_type", "document_number")
    header_aliases = {
        "tipo_de_documento": "document_type",
        "documento": "document_number",
        "numero_de_documento": "document_number",
        "e_mail": "email",
        "correo": "email",
        "correo_electronico": "email",
        "telefono": "phones",
        "telefonos": "phones",
        "direccion": "address",
        "usuario": "owner",
    }

    class Meta:
        model = Client
        name = gettext_lazy("Clients")
        import_id_fields = ("document_type", "document_number")
        instance_loader_class = ClientLoader
        skip_unchanged = True
        report_skipped = True
        skip_diff = False
        # No savepoint per row (two queries each): new clients are saved together by bulk_create,
        # a registered client's changes in update_client's own savepoint.
        use_bulk = True
        clean_model_instances = True
        fields = (
            "id",
            "document_type",
            "document_number",
            "full_name",
            "apellido_paterno",
            "apellido_materno",
            "nombres",
            "nationality",
            "date_of_birth",
            "occupation",
            "razon_social",
            "economic_activity",
            "contact_person",
            "legal_rep_name",
            "legal_rep_document_type",
            "legal_rep_document_number",
            "email",
            "cc_emails",
            "phones",
            "address",
            "district",
            "province",
            "department",
            "is_pep",
            "pep_position",
            "pep_entity",
            "owner",
            "created_by",
            "created_at",
            "status",
            "operation_count",
            "completed_operation_count",
        )

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.full_accounts = bool(user is not None and user.has_perm("clients.view_full_accounts"))
        for i in range(1, MAX_ACCOUNT_COLUMNS + 1):
            field = fields.Field(
                column_name=_("Bank account %(n)d") % {"n": i}, widget=AccountCellWidget(self.full_accounts)
            )
            field.account_index = i - 1
            self.fields[f"account_{i}"] = field
        # Each row looks its cells up by column name: a lazy name would be translated again on every
        # lookup (half a million times for a file of 5,000 clients). The fields are this instance's own.
        for field in self.fields.values():
            field.column_name = str(field.column_name)
        self._import_fields = None
        self._field_names = None

    # --- columns ---
    def account_fields(self):
        return [self.fields[f"account_{i}"] for i in range(1, MAX_ACCOUNT_COLUMNS + 1)]

    def get_export_order(self):
        return tuple(self._meta.fields) + tuple(f"account_{i}" for i in range(1, MAX_ACCOUNT_COLUMNS + 1))

    def get_import_order(self):
        return self.get_export_order()

    def get_import_fields(self):
        # Asked several times per row; the fields never change after __init__.
        if self._import_fields is None:
            self._import_fields = [f for f in super().get_import_fields() if not f.readonly]
        return self._import_fields

    def get_field_name(self, field):
        if self._field_names is None:
            self._field_names = {id(f): name for name, f in self.fields.items()}
        return self._field_names.get(id(field)) or super().get_field_name(field)

    def column(self, name):
        return str(self.fields[name].column_name)

    def template_dataset(self):
        """The import template: the columns the import reads and one example row."""
        example = {
            "document_type": "DNI",
            "document_number": "45678912",
            "apellido_paterno": "QUISPE",
            "apellido_materno": "MAMANI",
            "nombres": "ROSA ELENA",
            "nationality": _("Peruvian"),
            "date_of_birth": "10/05/1985",
            "occupation": _("Accountant"),
            "email": "rosa.quispe@correo.pe",
            "phones": "987654321",
            "address": "AV. AREQUIPA 1234",
            "district": "MIRAFLORES",
            "province": "LIMA",
            "department": "LIMA",
            "is_pep": _("No"),
            "account_1": "BCP | Ahorro | PEN | 19112345678012 | 00219111234567801255 | Lima",
            "account_2": "Interbank | Ahorro | USD | 8983123456789 | 00389801312345678945 | Lima",
        }
        import_fields = self.get_import_fields()
        data = tablib.Dataset(headers=[str(f.column_name) for f in import_fields], title=str(_("Clients")))
        data.append([example.get(self.get_field_name(f), "") for f in import_fields])
        return data

    # --- export ---
    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = Client.objects.visible_to(self.user)
        queryset = (
            queryset.with_operation_counts(completed=True)
            .select_related("owner", "created_by")
            .prefetch_related(
                Prefetch(
                    "accounts", queryset=BankAccount.objects.filter(is_active=True).order_by("id"), to_attr="_active"
                )
            )
        )
        dataset = super().export(queryset=queryset, **kwargs)
        dataset.title = str(_("Clients"))
        return dataset

    def export_field(self, field, instance, **kwargs):
        index = getattr(field, "account_index", None)
        if index is not None:
            accounts = instance._active
            return field.widget.render(accounts[index] if index < len(accounts) else None)
        return super().export_field(field, instance, **kwargs)

    def dehydrate_document_type(self, client):
        return client.get_document_type_display()

    def dehydrate_full_name(self, client):
        return client.display_name

    def dehydrate_created_by(self, client):
        return client.created_by.email

    def dehydrate_created_at(self, client):
        return display.datetime(client.created_at)

    def dehydrate_status(self, client):
        return client.get_status_display()

    def dehydrate_operation_count(self, client):
        return client.operation_count

    def dehydrate_completed_operation_count(self, client):
        return client.completed_operation_count

    # --- import: the file as a whole ---
    def get_queryset(self):
        return Client.objects.visible_to(self.user)

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        # All-or-nothing: one bad row rolls the whole file back (also when called outside the admin).
        kwargs["rollback_on_validation_errors"] = True
        kwargs.pop("collect_failed_rows", None)
        if self.user is None:
            self.user = kwargs.get("user")
        # What this import learns about the file as it goes (set again for each file).
        self._previewing, self._previewed = dry_run, 0
        self._seen_documents = set()
        self._documents = set()
        self._existing = None
        self._owners = {}
        self._import = None
        result = super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs
        )
        _drop_empty_preview_columns(result)
        return result

    def before_import(self, dataset, **kwargs):
        """Headers in any case, with or without accents; unknown or missing ones refused before any row."""
        canonical = {slug(f.column_name): str(f.column_name) for f in self.fields.values()}
        for alias, name in self.header_aliases.items():
            canonical.setdefault(alias, self.column(name))
        headers = [canonical.get(slug(h), h) for h in (dataset.headers or [])]
        dataset.headers = headers
        unknown = [str(h) for h in headers if str(h or "").strip() and slug(h) not in canonical]
        missing = [self.column(name) for name in self.required_columns if self.column(name) not in headers]
        errors = []
        if unknown:
            errors.append(
                _("Unknown columns in the file: %(columns)s. Use the column names of the template.")
                % {"columns": ", ".join(unknown)}
            )
        if missing:
            errors.append(_("Missing columns in the file: %(columns)s.") % {"columns": ", ".join(missing)})
        if errors:
            # The library reads the rows even after a file-level error: with wrong columns none is read.
            dataset.wipe()
            raise ValidationError(errors)
        self._read_file_clients(dataset)

    def document_key(self, row):
        """(document type, number) of a row as the loader compares them (ValueError if unreadable)."""
        return tuple(self.fields[name].clean(row) for name in self.get_import_id_fields())

    def _read_file_clients(self, dataset):
        """The clients the file names, read once for all its rows: those of the user's portfolio
        (with their active accounts) for the rows that update them, and the file's documents for
        the new clients' check that nobody has them yet (`services.ClientImport`)."""
        keys = set()
        for values in dataset:
            row = dict(zip(dataset.headers, values, strict=False))
            self.before_import_row(row)
            try:
                key = self.document_key(row)
            except ValueError:
                continue
            if all(key):
                keys.add(key)
        self._documents = keys
        self._existing = {}
        numbers = sorted({number for _type, number in keys})
        active = Prefetch("accounts", queryset=BankAccount.objects.filter(is_active=True), to_attr="_active_accounts")
        for start in range(0, len(numbers), LOOKUP_CHUNK):
            chunk = numbers[start : start + LOOKUP_CHUNK]
            clients = self.get_queryset().filter(document_number__in=chunk).select_related("owner")
            for client in clients.prefetch_related(active):
                key = (client.document_type, client.document_number)
                if key in keys:
                    self._existing[key] = client

    def _new_clients(self):
        """The import's `services.ClientImport`, started with the first new client of the file."""
        if self._import is None:
            self._import = services.ClientImport(by=self.user, documents=self._documents)
        return self._import

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        """The library's bulk step (use_bulk): the new clients of a file without errors are saved
        here, all together, through the service.

        Not in the preview: every row was already checked as the service will save it (add() runs
        the model's rules and the document check), so writing 5,000 clients with their accounts
        and audit entries only to roll them back would double the preview's time and show nothing
        more. Should the database still refuse something at the confirmation (another user
        registered one of the documents meanwhile), nothing is saved and the user is told."""
        try:
            if dry_run:
                return
            if self.create_instances and not (result.has_errors() or result.has_validation_errors()):
                try:
                    self._new_clients().save()
                except PermissionDenied as exc:
                    raise ValidationError(str(exc) or _("You are not allowed to do this.")) from None
                for row in result.rows:
                    if row.import_type == row.IMPORT_TYPE_NEW and row.instance is not None:
                        row.object_id = row.instance.pk
        except Exception as exc:  # noqa: BLE001 - reported as the file's error, the import rolled back
            self.handle_import_error(result, exc, raise_errors)
        finally:
            self.create_instances.clear()

    def handle_import_error(self, result, error, raise_errors=False):
        """File-level failures: our Spanish refusals as they are, anything else logged and generic."""
        if not raise_errors and not isinstance(error, ValidationError):
            logger.exception(
                "Unexpected error importing a clients file for %s",
                getattr(self.user, "username", None),
                exc_info=error,
            )
            error = ValidationError(_unexpected_error_message(), code="unexpected")
        return super().handle_import_error(result, error, raise_errors)

    # --- import: one row ---
    def before_import_row(self, row, **kwargs):
        # Excel drops the leading zeros of a numeric DNI cell (01234567 → 1234567): put them back.
        number_col, type_col = self.column("document_number"), self.column("document_type")
        number = row.get(number_col)
        if isinstance(number, (int, float)) and slug(row.get(type_col)) == "dni":
            row[number_col] = f"{int(number):08d}"

    def after_init_instance(self, instance, new, row, **kwargs):
        if new:
            # By id: the library copies each row's instance for the preview, and a user object
            # (with its permission caches) would be copied along with every row.
            instance.owner_id = self.user.pk
            instance.created_by_id = self.user.pk
            instance.status = ClientStatus.INACTIVE

    def import_instance(self, instance, row, **kwargs):
        # What the row changes on a registered client (update_client's `changes`); a new one is all new.
        tracked = [f.attribute for f in self.get_import_fields() if f.attribute] if instance.pk else []
        before = {name: getattr(instance, name) for name in tracked}
        errors = {}
        try:
            super().import_instance(instance, row, owners=self._owners, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        key = (instance.document_type, instance.document_number)
        if all(key) and key in self._seen_documents:
            # Under the field's name, so the model's own check of the document is not made again.
            errors["document_number"] = [_("This document is already in an earlier row of the file.")]
        self._seen_documents.add(key)
        instance._import_changes = {
            name: getattr(instance, name) for name in tracked if getattr(instance, name) != before[name]
        }
        if instance.pk and "owner" in instance._import_changes:
            errors[self.column("owner")] = [
                _("To change the account executive of a registered client use “Reassign”, not the import.")
            ]
        instance._import_accounts, instance._import_cells = self._read_accounts(instance, row, errors)
        if errors:
            raise ValidationError(errors)

    def _read_accounts(self, client, row, errors):
        """The accounts to add or change from the row's account cells, and each cell as read (preview)."""
        if not client.pk:
            existing = []
        elif hasattr(client, "_active_accounts"):
            existing = client._active_accounts
        else:
            existing = list(client.accounts.filter(is_active=True))
        accounts, cells = [], {}
        for field in self.account_fields():
            column = str(field.column_name)
            try:
                account = field.widget.clean(row.get(column))
            except ValueError as exc:
                errors[column] = [str(exc)]
                continue
            if account is None:
                continue
            cells[self.get_field_name(field)] = account
            current = match_account(existing, account)
            if current is None:
                if is_masked(account.number) or is_masked(account.cci):
                    errors[column] = [
                        _("%(number)s is masked and matches no active account of this client: write the full number.")
                        % {"number": account.number if is_masked(account.number) else account.cci}
                    ]
                else:
                    accounts.append(account)
                continue
            changed = copy.copy(current)
            changed.account_type, changed.location = account.account_type, account.location
            if account.cci and not is_masked(account.cci):
                changed.cci = account.cci
            if (changed.account_type, changed.location, changed.cci) != (
                current.account_type,
                current.location,
                current.cci,
            ):
                accounts.append(changed)
        return accounts, cells

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if instance.pk is None or getattr(instance, "_import_accounts", None):
            return False  # a new client, or new or changed accounts: never "unchanged"
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        try:
            if instance.pk is None:
                # A new client is checked, and queued for saving with the file's others, by the service.
                accounts = instance._import_accounts or None
                self._new_clients().add(instance, accounts, errors=import_validation_errors)
            else:
                super().validate_instance(instance, import_validation_errors, validate_unique)
        except PermissionDenied as exc:
            raise ValidationError(str(exc) or _("You are not allowed to do this.")) from None
        except ValidationError as exc:
            raise self._rekey(exc) from None

    def save_instance(self, instance, is_create, row, **kwargs):
        # A new client joins the library's bulk list (validate_instance queued it in the service);
        # a registered client's changes are saved now, through update_client, in its own savepoint.
        try:
            if is_create:
                return super().save_instance(instance, is_create, row, **kwargs)
            return self.do_instance_save(instance, is_create)
        except PermissionDenied as exc:
            raise ValidationError(str(exc) or _("You are not allowed to do this.")) from None
        except ValidationError as exc:
            raise self._rekey(exc) from None

    def do_instance_save(self, instance, is_create):
        services.update_client(instance, instance._import_changes, by=self.user, accounts=instance._import_accounts)

    def import_row(self, row, instance_loader, **kwargs):
        result = super().import_row(row, instance_loader, **kwargs)
        if result.validation_error is not None:
            result.validation_error = self._rekey(result.validation_error)
        elif result.errors:
            # An unexpected exception (a bug, the database...): the details go to the log, the user
            # gets a Spanish message with the row number, and the row counts as invalid, so the
            # whole file is rolled back like for any other bad row.
            row_number = kwargs.get("row_number")
            for error in result.errors:
                logger.exception(
                    "Unexpected error importing row %s of a clients file for %s",
                    None if row_number is None else row_number + 1,
                    getattr(self.user, "username", None),
                    exc_info=error.error,
                )
            result.errors = []
            result.import_type = result.IMPORT_TYPE_INVALID
            result.validation_error = ValidationError({NON_FIELD_ERRORS: [_unexpected_error_message(row_number)]})
        return result

    def _column_for(self, name):
        """The file's column for a model field named in an error (Spanish, as the user reads it)."""
        for field in self.fields.values():
            if name in (field.attribute, field.column_name):
                return str(field.column_name)
        try:
            return str(self._meta.model._meta.get_field(name).verbose_name).capitalize()
        except FieldDoesNotExist:
            return name

    def _rekey(self, error):
        if not hasattr(error, "error_dict"):
            return ValidationError({NON_FIELD_ERRORS: error.messages})
        out = {}
        for name, errors in error.error_dict.items():
            key = NON_FIELD_ERRORS if name == NON_FIELD_ERRORS else self._column_for(name)
            out.setdefault(key, []).extend(m for e in errors for m in e.messages)
        return ValidationError(out)

    # --- preview ---
    def get_diff_class(self):
        return PreviewDiff

    def previewed_row(self):
        """Whether the row being read is one the preview shows (counted as rows are read)."""
        if not getattr(self, "_previewing", False):
            return False
        self._previewed += 1
        return self._previewed <= PREVIEW_ROWS

    def preview_values(self, instance):
        """One cell per import column, as the user reads it."""
        values = []
        cells = getattr(instance, "_import_cells", {})
        for field in self.get_import_fields():
            if instance is None:
                values.append("")
            elif getattr(field, "account_index", None) is not None:
                values.append(field.widget.render(cells.get(self.get_field_name(field))))
            elif field.attribute == "document_type":
                values.append(instance.get_document_type_display())
            else:
                values.append(field.export(instance))
        return values


# --- File formats -------------------------------------------------------------------------------
class StyledXLSX(base_formats.XLSX):
    """xlsx with the previous system's look: bold white header on 366092, sheet named after the data
    (written by clients.exports.write_table, as the streamed export is).

    Text a spreadsheet would run as a formula (=, +, -, @…: a name typed as '=HYPERLINK(...)') is
    stored as a text cell with Excel's quote prefix, so it shows and imports back unchanged. The
    library's IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only strips a leading "=" (changing the data and
    leaving +, - and @ live), hence this writer.
    """

    def export_data(self, dataset, **kwargs):
        out = io.BytesIO()
        write_table(out, dataset.title, dataset.headers or [], dataset)
        return out.getvalue()


class SpreadsheetCSV(base_formats.CSV):
    """CSV as Excel saves it: UTF-8 (with or without BOM) or, from a Spanish-locale Excel, cp1252 with ";".

    Read as bytes (is_binary) so the encoding and the separator are decided from the content.
    """

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                in_stream = in_stream.decode("cp1252", errors="replace")
        first_line = in_stream.split("\n", 1)[0]
        try:
            delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        return tablib.import_set(in_stream, format="csv", delimiter=delimiter)
