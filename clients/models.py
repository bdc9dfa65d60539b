import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Length, Substr
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from clients import hooks, validators
from clients.constraints import FieldUniqueConstraint
from qoricash import bulk, display
from qoricash.files import PrivateFile


class DocumentType(models.TextChoices):
    DNI = "DNI", "DNI"
    CE = "CE", _("Foreigner ID card (CE)")
    RUC = "RUC", "RUC"
    PASSPORT = "PAS", _("Passport")


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class ClientQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        return super().bulk_create(self._with_search_text(objs), *args, **kwargs)

    def insert(self, objs, *, batch_size=1000):
        """New clients written at once by qoricash.bulk.insert (COPY on PostgreSQL), ids set in order."""
        return bulk.insert(self._with_search_text(objs), batch_size=batch_size)

    @staticmethod
    def _with_search_text(objs):
        # Bulk writes do not call save(): the search text is filled here as save() fills it.
        objs = list(objs)
        for obj in objs:
            obj.search_text = obj.build_search_text()
        return objs

    def visible_to(self, user):
        """The portfolio rule, in one place: a user without view_all_clients sees only its own."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_perm("clients.view_all_clients"):
            return self
        return self.filter(owner=user)

    def active(self):
        return self.filter(status=ClientStatus.ACTIVE)

    def awaiting_review(self):
        """New clients never activated (a deactivated client has a status change on record)."""
        return self.filter(status=ClientStatus.INACTIVE, status_changed_at__isnull=True)

    def missing_compliance_data(self):
        """Clients lacking what the operations register (UIF) needs (Client.compliance_gaps)."""
        person = ~Q(document_type=DocumentType.RUC) & (
            Q(nationality="") | Q(date_of_birth__isnull=True) | Q(occupation="") | Q(address="")
        )
        company = Q(document_type=DocumentType.RUC) & (
            Q(economic_activity="") | Q(legal_rep_name="") | Q(legal_rep_document_number="") | Q(address="")
        )
        return self.filter(person | company)

    def deactivated(self):
        return self.filter(status=ClientStatus.INACTIVE, status_changed_at__isnull=False)

    def owners(self):
        """The users owning at least one of these clients (the executive filter, portfolio moves)."""
        owner_ids = self.order_by().values("owner")
        return get_user_model().objects.filter(pk__in=owner_ids).order_by("first_name", "last_name", "username")

    def with_operation_counts(self, completed=False):
        """Annotate `operation_count` (and `completed_operation_count`) with correlated subqueries.

        The operations come from the app that registered them (clients.hooks); without one the
        counts are 0. Idempotent.
        """
        wanted = ["operation_count"] + (["completed_operation_count"] if completed else [])
        wanted = [name for name in wanted if name not in self.query.annotations]
        if not wanted:
            return self
        if hooks.client_operations() is None:
            return self.annotate(**{name: Value(0, output_field=IntegerField()) for name in wanted})

        def count(operations):
            sub = operations.filter(client=OuterRef("pk")).order_by().values("client").annotate(n=Count("pk"))
            return Coalesce(Subquery(sub.values("n"), output_field=IntegerField()), Value(0))

        only_completed = {"operation_count": False, "completed_operation_count": True}
        return self.annotate(
            **{name: count(hooks.client_operations(completed=only_completed[name])) for name in wanted}
        )


PERSON_NAME_FIELDS = ("apellido_paterno", "apellido_materno", "nombres")
# Typed in upper case by staff in the previous system; normalised here so search and display agree.
UPPER_CASE_FIELDS = (
    *PERSON_NAME_FIELDS,
    "razon_social",
    "contact_person",
    "legal_rep_name",
    "address",
    "district",
    "province",
    "department",
)


def _collapse(value):
    return " ".join((value or "").split())


def search_key(text):
    """How search compares text: 'Castro  Núñez' → 'CASTRO NUNEZ' (upper case, no accents, single spaces).

    Plain Python, so it gives the same answer on SQLite and PostgreSQL (no unaccent extension,
    no collation). Used for the stored `Client.search_text` and for what the user types.
    """
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.upper().split())


SEARCH_TEXT_MAX = 1000
# The fields `search_text` is built from; a save() that touches any of them refreshes it.
SEARCH_SOURCE_FIELDS = ("document_number", *PERSON_NAME_FIELDS, "razon_social", "email")


def search_terms(query):
    """The words of a search box, normalised; "quoted phrases" stay together (as in the admin)."""
    terms = []
    for bit in smart_split(query or ""):
        if bit[:1] in ('"', "'") and bit[-1:] == bit[:1] and len(bit) > 1:
            bit = unescape_string_literal(bit)
        bit = search_key(bit)
        if bit:
            terms.append(bit)
    return terms


def client_search_filter(queryset, query, prefix=""):
    """Filter `queryset` (of clients, or of rows with a client at `prefix`, e.g. "client__") by a search box.

    Every word must match, each either as the beginning of the document number or anywhere in the
    surnames, names, business name or e-mail, ignoring case and accents ("nunez" finds NÚÑEZ).
    `search_text` is "<document number> <names…> <e-mail>", so the document number is matched as a
    prefix of the whole text and the rest after it (a digit in the middle of a document does not match,
    as before).
    """
    terms = search_terms(query)
    if not terms:
        return queryset
    rest = "client_search_rest"
    queryset = queryset.alias(**{rest: Substr(f"{prefix}search_text", Length(f"{prefix}document_number") + 2)})
    condition = Q()
    for term in terms:
        condition &= Q(**{f"{prefix}search_text__startswith": term}) | Q(**{f"{rest}__contains": term})
    return queryset.filter(condition)


# The one rule on other rows a new client must pass; imports check it for a whole file in one query.
DOCUMENT_CONSTRAINT = "uniq_client_document"


def registered_documents(keys, chunk=500):
    """The (document_type, document_number) pairs of `keys` some client already has (a query per
    `chunk` numbers, so a long list stays under SQLite's limit of bound parameters)."""
    keys = {(t, n) for t, n in keys if t and n}
    numbers = sorted({n for _t, n in keys})
    taken = set()
    for start in range(0, len(numbers), chunk):
        rows = (
            Client.objects.order_by()
            .filter(document_number__in=numbers[start : start + chunk])
            .values_list("document_type", "document_number")
        )
        taken.update(row for row in rows if row in keys)
    return taken


class Client(models.Model):
    document_type = models.CharField(_("document type"), max_length=3, choices=DocumentType.choices)
    document_number = models.CharField(_("document number"), max_length=12)
    # Natural persons (DNI, CE, passport).
    apellido_paterno = models.CharField(_("paternal surname"), max_length=100, blank=True)
    apellido_materno = models.CharField(_("maternal surname"), max_length=100, blank=True)
    nombres = models.CharField(_("given names"), max_length=100, blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    nationality = models.CharField(_("nationality"), max_length=60, blank=True)
    date_of_birth = models.DateField(
        _("date of birth"), null=True, blank=True, validators=[validators.validate_date_of_birth]
    )
    # Companies (RUC).
    razon_social = models.CharField(_("business name"), max_length=200, blank=True)
    economic_activity = models.CharField(
        _("economic activity"), max_length=200, blank=True, help_text=_("The CIIU activity, as text.")
    )
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    legal_rep_name = models.CharField(_("legal representative"), max_length=200, blank=True)
    legal_rep_document_type = models.CharField(
        _("representative's document type"), max_length=3, choices=DocumentType.choices, blank=True
    )
    legal_rep_document_number = models.CharField(_("representative's document number"), max_length=12, blank=True)
    # Contact.
    email = models.EmailField(_("e-mail"))
    cc_emails = models.CharField(
        _("copy e-mails"),
        max_length=500,
        blank=True,
        help_text=_("Separated by ';'."),
        validators=[validators.validate_email_list],
    )
    phones = models.CharField(
        _("phones"),
        max_length=120,
        blank=True,
        help_text=_("One or more, separated by ';'."),
        validators=[validators.validate_phone_list],
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    # Compliance.
    is_pep = models.BooleanField(_("PEP"), default=False, help_text=_("Politically exposed person."))
    pep_position = models.CharField(_("PEP position"), max_length=200, blank=True)
    pep_entity = models.CharField(_("PEP entity"), max_length=200, blank=True)
    # Lifecycle.
    status = models.CharField(_("status"), max_length=10, choices=ClientStatus.choices, default=ClientStatus.INACTIVE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account executive"),
        on_delete=models.PROTECT,
        related_name="clients",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("status changed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Denormalised for search (see client_search_filter): kept up to date by save().
    search_text = models.CharField(
        _("search text"), max_length=SEARCH_TEXT_MAX, blank=True, editable=False, db_index=True
    )

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["-created_at", "-id"]
        constraints = [
            FieldUniqueConstraint(
                fields=["document_type", "document_number"],
                name=DOCUMENT_CONSTRAINT,
                field="document_number",
                violation_error_message=_("A client with %(document_type)s %(document_number)s is already registered."),
            ),
        ]
        indexes = [
            models.Index(fields=["document_number"], name="client_docnum_idx"),
            models.Index(fields=["owner", "-created_at"], name="client_owner_idx"),
            models.Index(fields=["status", "-created_at"], name="client_status_idx"),
            # The index's "Clientes por revisar" panel: the oldest clients never activated.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(status=ClientStatus.INACTIVE, status_changed_at__isnull=True),
                name="client_review_idx",
            ),
        ]
        permissions = [
            ("activate_client", _("Can activate or deactivate clients")),
            ("view_all_clients", _("Can see every trader's clients")),
            ("view_full_accounts", _("Can see full bank account numbers")),
            ("change_client_profile", _("Can edit client names, address and PEP data")),
            ("reassign_client", _("Can reassign clients to another trader")),
            ("import_client", _("Can import clients")),
            ("export_client", _("Can export clients")),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.document_type} {self.document_number})"

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(SEARCH_SOURCE_FIELDS):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def is_company(self):
        return self.document_type == DocumentType.RUC

    @property
    def display_name(self):
        if self.is_company:
            return (self.razon_social or "").upper()
        return " ".join(p for p in (self.apellido_paterno, self.apellido_materno, self.nombres) if p).upper()

    @property
    def is_active(self):
        return self.status == ClientStatus.ACTIVE

    @property
    def first_phone(self):
        return (self.phones or "").split(";")[0].strip()

    @property
    def masked_document(self):
        return validators.mask(self.document_number)

    def build_search_text(self):
        """'<DOCUMENT NUMBER> <SURNAMES NAMES> <BUSINESS NAME> <E-MAIL>', upper case, no accents."""
        number = search_key(self.document_number).replace(" ", "")
        rest = search_key(" ".join(str(getattr(self, name) or "") for name in SEARCH_SOURCE_FIELDS[1:]))
        return f"{number} {rest}"[:SEARCH_TEXT_MAX]

    def normalize(self):
        self.document_number = (self.document_number or "").strip().upper()
        self.legal_rep_document_number = (self.legal_rep_document_number or "").strip().upper()
        if self.legal_rep_document_number and not self.legal_rep_document_type:
            self.legal_rep_document_type = DocumentType.DNI
        self.email = (self.email or "").strip().lower()
        self.cc_emails = "; ".join(e.lower() for e in validators.split_list(self.cc_emails))
        self.phones = "; ".join(validators.normalize_phone(p) for p in validators.split_list(self.phones))
        for name in UPPER_CASE_FIELDS:
            setattr(self, name, _collapse(getattr(self, name)).upper())
        for name in ("occupation", "nationality", "economic_activity", "pep_position", "pep_entity"):
            setattr(self, name, _collapse(getattr(self, name)))

    def clean_fields(self, exclude=None):
        self.normalize()  # first, so field validators see the stored form ("a@b.pe", not " A@B.PE ")
        super().clean_fields(exclude)

    def clean(self):
        """The cross-field rules; the document's uniqueness is the `uniq_client_document` constraint."""
        self.normalize()
        errors = {}
        for check in (self._document_errors, self._name_errors, self._legal_rep_errors, self._pep_errors):
            for field, message in check():
                errors.setdefault(field, []).append(message)
        if errors:
            raise ValidationError(errors)

    def _document_errors(self):
        if self._document_changed():
            return [("document_number", _("The document type and number cannot be changed after registration."))]
        if self.document_type not in DocumentType.values or not self.document_number:
            # Already the field's own error (clean_fields or the form): saying it twice helps nobody.
            return []
        try:
            validators.validate_document(self.document_type, self.document_number)
        except ValidationError as exc:
            return [("document_number", message) for message in exc.messages]
        return []

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What was read, so _document_changed needs no query for a client loaded from the database.
        instance._stored_document = (instance.__dict__.get("document_type"), instance.__dict__.get("document_number"))
        return instance

    def _document_changed(self):
        if self.pk is None:
            return False
        original = getattr(self, "_stored_document", (None, None))
        if None in original:  # built by hand, or loaded without those fields
            stored = type(self)._default_manager.filter(pk=self.pk).values_list("document_type", "document_number")
            original = stored.first()
        return original is not None and original != (self.document_type, self.document_number)

    def _name_errors(self):
        if self.is_company:
            return [] if self.razon_social else [("razon_social", _("The business name is required for a RUC."))]
        if not self.document_type:
            return []
        required = _("This field is required for a natural person.")
        return [(name, required) for name in PERSON_NAME_FIELDS if not getattr(self, name)]

    def _legal_rep_errors(self):
        if not self.legal_rep_document_number:
            return []
        errors = []
        try:
            validators.validate_document(self.legal_rep_document_type, self.legal_rep_document_number)
        except ValidationError as exc:
            errors += [("legal_rep_document_number", message) for message in exc.messages]
        if not self.legal_rep_name:
            errors.append(("legal_rep_name", _("Enter the name of the legal representative.")))
        return errors

    def compliance_gaps(self):
        """The verbose names of what the operations register (UIF) needs and this client lacks."""
        if self.is_company:
            wanted = ("economic_activity", "legal_rep_name", "legal_rep_document_number", "address")
        else:
            wanted = ("nationality", "date_of_birth", "occupation", "address")
        return [str(self._meta.get_field(name).verbose_name) for name in wanted if not getattr(self, name)]

    def _pep_errors(self):
        if not self.is_pep:
            return []
        errors = []
        if not self.pep_position:
            errors.append(("pep_position", _("A PEP needs the position held.")))
        if not self.pep_entity:
            errors.append(("pep_entity", _("A PEP needs the entity where the position is held.")))
        return errors


class Bank(models.TextChoices):
    BCP = "BCP", "BCP"
    INTERBANK = "INTERBANK", "Interbank"
    BBVA = "BBVA", "BBVA"
    SCOTIABANK = "SCOTIABANK", "Scotiabank"
    BANBIF = "BANBIF", "BanBif"
    PICHINCHA = "PICHINCHA", "Pichincha"
    BN = "BN", "Banco de la Nación"
    GNB = "GNB", "GNB"
    FALABELLA = "FALABELLA", "Banco Falabella"
    RIPLEY = "RIPLEY", "Banco Ripley"
    CITI = "CITI", "Citibank"
    OTHER = "OTHER", _("Other")


# CCI is mandatory for these banks: their account numbers do not route inter-bank transfers.
BANKS_REQUIRING_CCI = {Bank.BBVA, Bank.SCOTIABANK}


class AccountType(models.TextChoices):
    SAVINGS = "savings", _("Savings")
    CHECKING = "checking", _("Checking")


class Currency(models.TextChoices):
    PEN = "PEN", "PEN (S/)"
    USD = "USD", "USD ($)"


class Location(models.TextChoices):
    LIMA = "lima", "Lima"
    PROVINCE = "province", _("Province")


class BankAccountQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class BankAccount(models.Model):
    MIN_ACTIVE = 2
    MAX_ACTIVE = 6

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="accounts")
    bank = models.CharField(_("bank"), max_length=12, choices=Bank.choices)
    account_type = models.CharField(_("account type"), max_length=10, choices=AccountType.choices)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    number = models.CharField(_("account number"), max_length=20, validators=[validators.validate_account_number])
    cci = models.CharField(_("CCI"), max_length=20, blank=True, validators=[validators.validate_cci])
    location = models.CharField(_("location"), max_length=10, choices=Location.choices, default=Location.LIMA)
    is_active = models.BooleanField(pgettext_lazy("bank account", "active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = BankAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["client_id", "currency", "id"]
        constraints = [
            FieldUniqueConstraint(
                fields=["client", "bank", "account_type", "currency", "number"],
                condition=Q(is_active=True),
                name="uniq_active_bank_account",
                field="number",
                violation_error_message=_(
                    "This account is already registered and active for the client (same bank, type, currency "
                    "and number)."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.get_bank_display()} {self.currency} {self.masked_number}"

    @property
    def masked_number(self):
        return validators.mask(self.number)

    def clean_fields(self, exclude=None):
        """The number and the CCI get one message each, whatever is wrong with them.

        Digits only first: "002-191-001234567012-58" is a valid CCI. Then one rule per field instead
        of Django's blank + max_length + validator checks, which would list two or three messages
        for the same mistake (e.g. 22 digits: "at most 20 characters" and "6 to 20 digits").
        """
        self.number = validators.normalize_account_number(self.number)
        self.cci = validators.normalize_account_number(self.cci)
        exclude = set(exclude or ())
        errors = {}
        try:
            super().clean_fields(exclude | {"number", "cci"})
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        checks = {"number": validators.validate_account_number, "cci": validators.validate_cci}
        for name, check in checks.items():
            if name in exclude:
                continue
            try:
                check(getattr(self, name))
            except ValidationError as exc:
                errors[name] = exc.error_list
        if errors:
            raise ValidationError(errors)

    def clean(self):
        # The number and CCI formats are clean_fields' (one message each); only the cross-field rule here.
        self.number = validators.normalize_account_number(self.number)
        self.cci = validators.normalize_account_number(self.cci)
        if not self.cci and self.bank in BANKS_REQUIRING_CCI:
            raise ValidationError(
                {"cci": _("The CCI (20 digits) is required for %(bank)s.") % {"bank": self.get_bank_display()}}
            )

    @property
    def duplicate_key(self):
        return (self.bank, self.account_type, self.currency, validators.normalize_account_number(self.number))


def account_set_errors(accounts, *, complete=True):
    """Spanish messages for the rules on a client's set of accounts (only active ones count).

    Always: at most 6 active accounts and no exact duplicate (same bank, type, currency, number).
    With `complete` (registration in the admin, activation, any change to an Activo client): at
    least 2 active accounts, one in PEN and one in USD.
    """
    active = [a for a in accounts if a.is_active]
    errors = []
    if len(active) > BankAccount.MAX_ACTIVE:
        errors.append(
            _("A client may have at most %(max)d active bank accounts (it has %(n)d).")
            % {"max": BankAccount.MAX_ACTIVE, "n": len(active)}
        )
    if complete:
        if len(active) < BankAccount.MIN_ACTIVE:
            errors.append(
                _("A client needs at least %(min)d active bank accounts (it has %(n)d).")
                % {"min": BankAccount.MIN_ACTIVE, "n": len(active)}
            )
        currencies = {a.currency for a in active}
        if Currency.PEN not in currencies:
            errors.append(_("A client needs at least one active account in soles (PEN)."))
        if Currency.USD not in currencies:
            errors.append(_("A client needs at least one active account in dollars (USD)."))
    seen = set()
    for account in active:
        key = account.duplicate_key
        if key in seen:
            errors.append(
                _("The account %(account)s is repeated: the same bank, type, currency and number.")
                % {"account": f"{account.get_bank_display()} {account.currency} {validators.mask(key[3])}"}
            )
        seen.add(key)
    return errors


class DocumentKind(models.TextChoices):
    ID_FRONT = "id_front", _("ID document (front)")
    ID_BACK = "id_back", _("ID document (back)")
    REP_FRONT = "rep_front", _("Representative's ID (front)")
    REP_BACK = "rep_back", _("Representative's ID (back)")
    FICHA_RUC = "ficha_ruc", _("Ficha RUC")
    COMPLIANCE = "compliance", _("Compliance officer's report")
    OTHER = "other", _("Other")


IDENTITY_KINDS = {DocumentKind.ID_FRONT, DocumentKind.ID_BACK, DocumentKind.REP_FRONT, DocumentKind.REP_BACK}


def document_errors(client, kinds):
    """Spanish messages for the documents activation needs, given the kinds the client has.

    Everyone: at least one identity document (the holder's or the representative's ID, front or
    back). A company (RUC) also needs its Ficha RUC.
    """
    kinds = set(kinds)
    errors = []
    if not kinds & IDENTITY_KINDS:
        errors.append(_("Upload at least one identity document (ID front or back) before activating."))
    if client.is_company and DocumentKind.FICHA_RUC not in kinds:
        errors.append(_("Upload the Ficha RUC before activating a company."))
    return errors


class ClientDocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(client__in=Client.objects.visible_to(user))


class ClientDocument(PrivateFile):
    upload_folder = "client-documents"

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ClientDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("client document")
        verbose_name_plural = _("client documents")
        ordering = ["client_id", "kind", "-uploaded_at"]

    def __str__(self):
        if self.uploaded_at is None:
            return self.get_kind_display()
        return f"{self.get_kind_display()} ({display.date(self.uploaded_at)})"


class ClientReassignment(models.Model):
    """History of portfolio moves; `from_owner` is read before the change, never after."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="reassignments")
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("client reassignment")
        verbose_name_plural = _("client reassignments")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "-at"], name="reassign_client_idx")]

    def __str__(self):
        # "De Tania Rojas a Luis Paredes, 27/11/2026 17:40" (callers select_related the users).
        text = gettext("From %(old)s to %(new)s") % {
            "old": self.from_owner.display_name,
            "new": self.to_owner.display_name,
        }
        return f"{text}, {display.datetime(self.at)}" if self.at else text
