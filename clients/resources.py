"""Import and export of clients with django-import-export (admin: Clientes → Importar / Exportar).

- Export: one xlsx sheet "Clientes" with the columns of the previous system (plus "Ejecutivo"),
  bank accounts masked to their last 4 digits unless the user holds `clients.view_full_accounts`.
- Import: clients from xlsx/csv (they start Inactivo, owned by the importing user unless an
  "Ejecutivo" username is given), and their bank accounts from a second file keyed by the client's
  document number. Each import is all-or-nothing: one bad row and nothing is written; every bad
  row is listed with its row number. Rows are saved through `clients.services`, so the same rules,
  permissions and audit entries apply as in the admin forms.
"""

import io
import logging
import re
import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.resources import Diff

from clients import services
from clients.models import (
    AccountType,
    Bank,
    BankAccount,
    Client,
    ClientStatus,
    Currency,
    DocumentType,
    Location,
)
from clients.validators import mask
from qoricash import context, display
from qoricash.spreadsheet import safe_cell

logger = logging.getLogger(__name__)

MAX_EXPORTED_ACCOUNTS = BankAccount.MAX_ACTIVE


def slug(text):
    """'Número Documento' → 'numero_documento': how headers and choice values are compared."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


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
        self.lookup = {}
        self.labels = dict(choices)
        for code, text in choices:
            self.lookup[slug(code)] = code
            self.lookup[slug(str(text))] = code
        for alias, code in (aliases or {}).items():
            self.lookup[slug(alias)] = code
        self.label = label

    def render(self, value, obj=None, **kwargs):
        # What people read in the preview: "Ahorro", "Lima", "Interbank" (also accepted back by clean()).
        return "" if value in (None, "") else str(self.labels.get(value, value))

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


class OwnerWidget(TextWidget):
    """The "Ejecutivo" column: a username (empty = the importing user, set by the resource)."""

    def clean(self, value, row=None, **kwargs):
        username = super().clean(value)
        if not username:
            return None
        user = get_user_model().objects.filter(username__iexact=username).first()
        if user is None:
            raise ValueError(_("There is no user '%(username)s'.") % {"username": username})
        return user


# --- Shared import behaviour --------------------------------------------------------------------
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
    """The preview of an import: each new row as people read it, not a diff of stored codes.

    An import only adds rows, so there is nothing to compare with; the library's diff would show
    internal values (savings, lima, False) underlined as insertions, and nothing for the columns
    that are not model fields (the client's document on a bank account).
    """

    def __init__(self, resource, instance, new):
        self.left = []
        self.right = []
        self.new = new

    def compare_with(self, resource, instance):
        self.right = resource.preview_values(instance)

    def as_html(self):
        return list(self.right)  # plain text: the template escapes it


def _drop_empty_preview_columns(result):
    """The preview shows only the columns with a value in some row (a clients file may have 22)."""
    rows = [row for row in result.valid_rows() if row.diff]
    if not rows:
        return
    keep = [i for i in range(len(result.diff_headers)) if any(i < len(row.diff) and row.diff[i] for row in rows)]
    result.diff_headers = [result.diff_headers[i] for i in keep]
    for row in rows:
        row.diff = [row.diff[i] for i in keep]


class AllOrNothingImportMixin:
    """One transaction for the whole file; one bad row rolls everything back.

    Errors are keyed by the file's column names (Spanish) rather than model field names, and any
    refusal from the services (permission or rule) becomes a row error, never a 500.
    """

    required_columns = ()
    header_aliases = {}  # slug of another accepted header → field name

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        kwargs["rollback_on_validation_errors"] = True
        kwargs.pop("collect_failed_rows", None)
        if self.user is None:
            self.user = kwargs.get("user")
        result = super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs
        )
        _drop_empty_preview_columns(result)
        return result

    def get_diff_class(self):
        return PreviewDiff

    def preview_values(self, instance):
        """One cell per diff header: a `preview_<field>` method, else the field's widget render."""
        values = []
        for field in self.get_import_fields():
            name = self.get_field_name(field)
            method = getattr(self, f"preview_{name}", None)
            if instance is None:
                values.append("")
            elif method is not None:
                values.append(method(instance))
            else:
                values.append(field.export(instance))
        return values

    def _column_for(self, name):
        for field in self.fields.values():
            if field.attribute == name or field.column_name == name:
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

    def before_import(self, dataset, **kwargs):
        # Accept headers in any case, with or without accents ("numero documento", "NÚMERO DOCUMENTO").
        canonical = {slug(f.column_name): str(f.column_name) for f in self.fields.values()}
        for alias, name in self.header_aliases.items():
            canonical.setdefault(alias, str(self.fields[name].column_name))
        dataset.headers = [canonical.get(slug(h), h) for h in (dataset.headers or [])]
        missing = [str(c) for c in self.required_columns if str(c) not in dataset.headers]
        if missing:
            raise ValidationError(_("Missing columns in the file: %(columns)s.") % {"columns": ", ".join(missing)})

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
                    "Unexpected error importing row %s of the file with %s for %s",
                    None if row_number is None else row_number + 1,
                    type(self).__name__,
                    getattr(self.user, "username", None),
                    exc_info=error.error,
                )
            result.errors = []
            result.import_type = result.IMPORT_TYPE_INVALID
            result.validation_error = ValidationError({NON_FIELD_ERRORS: [_unexpected_error_message(row_number)]})
        return result

    def handle_import_error(self, result, error, raise_errors=False):
        """File-level failures (before or after the rows): our Spanish refusals as they are, anything else logged.

        Every error reaching the page is a ValidationError: the import template shows its messages.
        """
        if raise_errors:
            return super().handle_import_error(result, error, raise_errors)
        if not isinstance(error, ValidationError):
            logger.exception(
                "Unexpected error importing a file with %s for %s",
                type(self).__name__,
                getattr(self.user, "username", None),
                exc_info=error,
            )
            error = ValidationError(_unexpected_error_message(), code="unexpected")
        return super().handle_import_error(result, error, raise_errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as exc:
            raise self._rekey(exc)

    def save_instance(self, instance, is_create, row, **kwargs):
        try:
            return super().save_instance(instance, is_create, row, **kwargs)
        except PermissionDenied as exc:
            raise ValidationError(str(exc) or _("You are not allowed to do this."))
        except ValidationError as exc:
            raise self._rekey(exc)


def _column(label, attribute, widget=None, **kwargs):
    return fields.Field(attribute=attribute, column_name=label, widget=widget or TextWidget(), **kwargs)


DOC_TYPE_ALIASES = {
    "pasaporte": DocumentType.PASSPORT,
    "passport": DocumentType.PASSPORT,
    "carnet de extranjeria": DocumentType.CE,
    "carne de extranjeria": DocumentType.CE,
}


class ClientImportResource(AllOrNothingImportMixin, resources.ModelResource):
    document_type = _column(
        pgettext_lazy("column", "Document type"),
        "document_type",
        ChoiceWidget(DocumentType.choices, DOC_TYPE_ALIASES, label=pgettext_lazy("column", "Document type")),
    )
    document_number = _column(pgettext_lazy("column", "Document number"), "document_number")
    apellido_paterno = _column(pgettext_lazy("column", "Paternal surname"), "apellido_paterno")
    apellido_materno = _column(pgettext_lazy("column", "Maternal surname"), "apellido_materno")
    nombres = _column(pgettext_lazy("column", "Given names"), "nombres")
    occupation = _column(pgettext_lazy("column", "Occupation"), "occupation")
    razon_social = _column(pgettext_lazy("column", "Business name"), "razon_social")
    contact_person = _column(pgettext_lazy("column", "Contact person"), "contact_person")
    legal_rep_name = _column(pgettext_lazy("column", "Legal representative"), "legal_rep_name")
    legal_rep_document_type = _column(
        pgettext_lazy("column", "Representative's document type"),
        "legal_rep_document_type",
        ChoiceWidget(
            DocumentType.choices, DOC_TYPE_ALIASES, label=pgettext_lazy("column", "Representative's document type")
        ),
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

    required_columns = (document_type.column_name, document_number.column_name, email.column_name)
    header_aliases = {
        "tipo_de_documento": "document_type",
        "documento": "document_number",
        "numero_de_documento": "document_number",
        "email": "email",
        "e_mail": "email",
        "correo": "email",
        "correo_electronico": "email",
        "telefono": "phones",
        "telefonos": "phones",
        "direccion": "address",
        "ejecutivo": "owner",
        "usuario": "owner",
    }

    class Meta:
        model = Client
        name = gettext_lazy("Clients")
        fields = (
            "document_type",
            "document_number",
            "apellido_paterno",
            "apellido_materno",
            "nombres",
            "occupation",
            "razon_social",
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
        )
        import_order = fields
        force_init_instance = True  # an import only registers new clients; it never updates one
        clean_model_instances = True
        skip_diff = False
        report_skipped = True

    def before_import_row(self, row, **kwargs):
        # Excel drops the leading zeros of a numeric DNI cell (01234567 → 1234567): put them back.
        number = row.get(str(self.fields["document_number"].column_name))
        doc_type = slug(row.get(str(self.fields["document_type"].column_name)))
        if isinstance(number, (int, float)) and doc_type == "dni":
            row[str(self.fields["document_number"].column_name)] = f"{int(number):08d}"

    def after_init_instance(self, instance, new, row, **kwargs):
        instance.owner = self.user
        instance.created_by = self.user
        instance.status = ClientStatus.INACTIVE

    def do_instance_save(self, instance, is_create):
        services.import_client(instance, by=self.user)


class BankAccountImportResource(AllOrNothingImportMixin, resources.ModelResource):
    client_document_type = _column(
        pgettext_lazy("column", "Document type"),
        None,
        ChoiceWidget(DocumentType.choices, DOC_TYPE_ALIASES, label=pgettext_lazy("column", "Document type")),
    )
    client_document_number = _column(pgettext_lazy("column", "Document number"), None)
    bank = _column(
        pgettext_lazy("column", "Bank"),
        "bank",
        ChoiceWidget(
            Bank.choices, {"banco de credito": Bank.BCP, "nacion": Bank.BN}, label=pgettext_lazy("column", "Bank")
        ),
    )
    account_type = _column(
        pgettext_lazy("column", "Account type"),
        "account_type",
        ChoiceWidget(
            AccountType.choices,
            {"ahorro": AccountType.SAVINGS, "ahorros": AccountType.SAVINGS, "corriente": AccountType.CHECKING},
            label=pgettext_lazy("column", "Account type"),
        ),
    )
    currency = _column(
        pgettext_lazy("column", "Currency"),
        "currency",
        ChoiceWidget(
            Currency.choices,
            {"s/": Currency.PEN, "soles": Currency.PEN, "$": Currency.USD, "dolares": Currency.USD},
            label=pgettext_lazy("column", "Currency"),
        ),
    )
    number = _column(pgettext_lazy("column", "Account number"), "number")
    cci = _column(pgettext_lazy("column", "CCI"), "cci")
    location = _column(
        pgettext_lazy("column", "Location"),
        "location",
        ChoiceWidget(Location.choices, {"provincia": Location.PROVINCE}, label=pgettext_lazy("column", "Location")),
    )

    required_columns = (
        client_document_number.column_name,
        bank.column_name,
        account_type.column_name,
        currency.column_name,
        number.column_name,
    )

    header_aliases = {
        "tipo_de_documento": "client_document_type",
        "documento": "client_document_number",
        "numero_de_documento": "client_document_number",
        "ruc": "client_document_number",
        "dni": "client_document_number",
        "numero_de_cuenta": "number",
        "cuenta": "number",
        "tipo_de_cuenta": "account_type",
        "origen": "location",
    }

    class Meta:
        model = BankAccount
        name = gettext_lazy("Bank accounts of clients (second file, by document number)")
        fields = (
            "client_document_type",
            "client_document_number",
            "bank",
            "account_type",
            "currency",
            "number",
            "cci",
            "location",
        )
        import_order = fields
        force_init_instance = True
        clean_model_instances = True

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if not instance.location:
            instance.location = Location.LIMA
        number_col = str(self.fields["client_document_number"].column_name)
        type_col = str(self.fields["client_document_type"].column_name)
        number = TextWidget().clean(row.get(number_col)).upper()
        try:
            doc_type = self.fields["client_document_type"].widget.clean(row.get(type_col))
        except ValueError as exc:
            errors[type_col] = [str(exc)]
            doc_type = ""
        if isinstance(row.get(number_col), (int, float)) and doc_type in ("", DocumentType.DNI) and len(number) < 8:
            number = number.zfill(8)
        candidates = Client.objects.visible_to(self.user).filter(document_number=number)
        if doc_type:
            candidates = candidates.filter(document_type=doc_type)
        found = list(candidates[:2])
        if not number:
            errors[number_col] = [_("Enter the client's document number.")]
        elif not found:
            errors[number_col] = [
                _("There is no client with document %(number)s in your portfolio.") % {"number": number}
            ]
        elif len(found) > 1:
            errors[type_col] = [_("Several clients have this number: give the document type.")]
        else:
            instance.client = found[0]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """One message per problem: no client found is said once, under the document number.

        Without a client, the model's own "client: this field cannot be null" is only a consequence
        of the failed lookup, so "client" is left out of full_clean. The uniqueness of an active
        account is checked by the service against the locked set (validate_unique=False).
        """
        errors = dict(import_validation_errors or {})
        exclude = set(errors)
        if instance.client_id is None:
            exclude.add("client")
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise self._rekey(ValidationError(errors))

    # --- preview: which client each account goes to ---
    def get_diff_headers(self):
        headers = super().get_diff_headers()
        at = headers.index(str(self.fields["client_document_number"].column_name)) + 1
        return [*headers[:at], str(pgettext_lazy("column", "Client")), *headers[at:]]

    def preview_values(self, instance):
        values = super().preview_values(instance)
        at = self.get_import_fields().index(self.fields["client_document_number"]) + 1
        client = instance.client if instance is not None and instance.client_id else None
        return [*values[:at], client.display_name if client else "", *values[at:]]

    def preview_client_document_type(self, account):
        return account.client.get_document_type_display() if account.client_id else ""

    def preview_client_document_number(self, account):
        return account.client.document_number if account.client_id else ""

    def do_instance_save(self, instance, is_create):
        services.add_bank_account(instance.client, instance, by=self.user)


# --- Export -------------------------------------------------------------------------------------
class ClientExportResource(resources.ModelResource):
    """The clients sheet of the previous system (§4.7), plus the account executive."""

    id = fields.Field(attribute="id", column_name="ID", widget=widgets.IntegerWidget(coerce_to_string=False))
    document_type = fields.Field(column_name=pgettext_lazy("column", "Document type"))
    document_number = fields.Field(attribute="document_number", column_name=pgettext_lazy("column", "Document number"))
    full_name = fields.Field(attribute="display_name", column_name=pgettext_lazy("column", "Full name"))
    contact_person = fields.Field(column_name=pgettext_lazy("column", "Contact person"))
    email = fields.Field(attribute="email", column_name=pgettext_lazy("column", "Email"))
    phones = fields.Field(attribute="phones", column_name=pgettext_lazy("column", "Phone"))
    address = fields.Field(attribute="address", column_name=pgettext_lazy("column", "Address"))
    district = fields.Field(attribute="district", column_name=pgettext_lazy("column", "District"))
    province = fields.Field(attribute="province", column_name=pgettext_lazy("column", "Province"))
    department = fields.Field(attribute="department", column_name=pgettext_lazy("column", "Department"))
    created_by = fields.Field(column_name=pgettext_lazy("column", "Registered by"))
    owner = fields.Field(column_name=pgettext_lazy("column", "Account executive"))
    created_at = fields.Field(column_name=pgettext_lazy("column", "Registration date"))
    status = fields.Field(column_name=pgettext_lazy("column", "Status"))
    operation_count = fields.Field(
        attribute="operation_count",
        column_name=pgettext_lazy("column", "Total operations"),
        widget=widgets.IntegerWidget(coerce_to_string=False),
    )
    completed_operation_count = fields.Field(
        attribute="completed_operation_count",
        column_name=pgettext_lazy("column", "Completed operations"),
        widget=widgets.IntegerWidget(coerce_to_string=False),
    )

    class Meta:
        model = Client
        name = gettext_lazy("Clients")
        fields = (
            "id",
            "document_type",
            "document_number",
            "full_name",
            "contact_person",
            "email",
            "phones",
            "address",
            "district",
            "province",
            "department",
            "created_by",
            "owner",
            "created_at",
            "status",
            "operation_count",
            "completed_operation_count",
        )

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.full_accounts = bool(user is not None and user.has_perm("clients.view_full_accounts"))
        for i in range(1, MAX_EXPORTED_ACCOUNTS + 1):
            field = fields.Field(column_name=_("Bank account %(n)d") % {"n": i})
            field.account_index = i - 1
            self.fields[f"account_{i}"] = field

    def get_export_order(self):
        return tuple(self._meta.fields) + tuple(f"account_{i}" for i in range(1, MAX_EXPORTED_ACCOUNTS + 1))

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
            if index >= len(accounts):
                return ""
            account = accounts[index]
            number = account.number if self.full_accounts else mask(account.number)
            return " | ".join(
                [account.get_bank_display(), account.get_account_type_display(), account.currency, number]
            )
        return super().export_field(field, instance, **kwargs)

    def dehydrate_document_type(self, client):
        return client.get_document_type_display()

    def dehydrate_contact_person(self, client):
        return client.contact_person if client.is_company else ""

    def dehydrate_created_by(self, client):
        return client.created_by.email

    def dehydrate_owner(self, client):
        return client.owner.get_username()

    def dehydrate_created_at(self, client):
        return display.datetime(client.created_at)

    def dehydrate_status(self, client):
        return client.get_status_display()


class StyledXLSX(base_formats.XLSX):
    """xlsx with the previous system's look: bold white header on 366092, sheet named after the data.

    Every cell goes through `safe_cell`: a name, address or e-mail typed as '=HYPERLINK(...)' is
    written as text, never as a formula the spreadsheet would run.
    """

    def export_data(self, dataset, **kwargs):
        from openpyxl import Workbook
        from openpyxl.styles import Font, PatternFill
        from openpyxl.utils import get_column_letter

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = (dataset.title or "Hoja1")[:31]
        sheet.append([safe_cell(str(h)) for h in dataset.headers or []])
        for cell in sheet[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="366092")
        widths = [len(str(h)) for h in dataset.headers or []]
        for row in dataset:
            sheet.append([safe_cell(value) for value in row])
            widths = [max(w, len(str(v or ""))) for w, v in zip(widths, row, strict=False)]
        for i, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "A2"
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
