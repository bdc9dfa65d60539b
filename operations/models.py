from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, models
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import Bank, BankAccount, Client, Currency, client_search_filter
from operations.validators import AmountValidator, RateValidator, amount_messages, rate_messages
from qoricash import display, fields, money
from qoricash.files import PrivateFile, private_upload_to, validate_upload


def mask_snapshot(snapshot):
    """'BCP USD 1930012345678' -> 'BCP USD ****5678' for screens and e-mails of users without full view."""
    from clients.validators import mask

    head, _sep, number = (snapshot or "").rpartition(" ")
    return f"{head} {mask(number)}" if head else mask(number)


def rate_field(verbose_name):
    return fields.DecimalField(
        verbose_name, max_digits=8, decimal_places=4, validators=[RateValidator()], error_messages=rate_messages()
    )


class ExchangeRateQuerySet(models.QuerySet):
    def effective(self, at=None):
        """Rates already in force at `at` (default now): a rate scheduled for later is not current yet."""
        return self.filter(effective_at__lte=at or timezone.now())

    def current(self, at=None):
        return self.effective(at).order_by("-effective_at", "-id").first()

    def scheduled(self, at=None):
        """The next rate published to start later than `at` (default now), if any."""
        return self.filter(effective_at__gt=at or timezone.now()).order_by("effective_at", "id").first()

    def latest_published(self):
        """The rate with the latest start, in force or scheduled: a new one may not start before it."""
        return self.order_by("-effective_at", "-id").first()


class ExchangeRate(models.Model):
    """Append-only: a new rate is a new row; the current rate is the latest one."""

    base = rate_field(_("base rate"))
    buy = rate_field(_("buy rate (compra)"))
    sell = rate_field(_("sell rate (venta)"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("exchange rate", "set by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    effective_at = models.DateTimeField(_("effective at"), db_index=True)

    objects = ExchangeRateQuerySet.as_manager()

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-effective_at", "-id"]
        constraints = [
            # full_clean validates it too (after the fields, and not for a rate that already has an
            # error): its message is the one users see when the order is wrong.
            models.CheckConstraint(
                condition=Q(buy__lte=models.F("base")) & Q(base__lte=models.F("sell")),
                name="rate_buy_base_sell_order",
                violation_error_message=_("The rates must satisfy buy ≤ base ≤ sell."),
            ),
        ]

    def __str__(self):
        # No base: this text is the change page's title and breadcrumb, read by people who may not see it.
        return f"C {self.buy} / V {self.sell}"


class HouseBankAccount(models.Model):
    bank = models.CharField(_("bank"), max_length=12, choices=Bank.choices)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    number = models.CharField(_("account number"), max_length=20)
    cci = models.CharField(_("CCI"), max_length=20, blank=True)
    holder = models.CharField(_("holder"), max_length=200, default="QORICASH SAC")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("house bank account")
        verbose_name_plural = _("house bank accounts")
        ordering = ["currency", "bank", "id"]
        constraints = [models.UniqueConstraint(fields=["bank", "currency", "number"], name="uniq_house_account")]

    def __str__(self):
        return f"{self.get_bank_display()} {self.currency} {self.number}"


class OperationType(models.TextChoices):
    BUY = "buy", _("Compra")
    SELL = "sell", _("Venta")


class OperationStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente")
    IN_PROCESS = "in_process", _("En proceso")
    COMPLETED = "completed", _("Completada")
    CANCELLED = "cancelled", _("Cancelado")


FINAL_STATUSES = {OperationStatus.COMPLETED, OperationStatus.CANCELLED}


class CodeCounter(models.Model):
    """A locked counter row gives race-free, gap-tolerant operation codes on any database."""

    name = models.CharField(max_length=30, unique=True)
    last_value = models.PositiveBigIntegerField(default=1000)

    class Meta:
        verbose_name = _("code counter")

    def __str__(self):
        return f"{self.name}: {self.last_value}"

    @classmethod
    def next_value(cls, name, floor=1000):
        """Increment and return the counter `name`. Call inside a transaction: the row stays locked
        (SELECT ... FOR UPDATE) until it commits, so concurrent callers queue up and never share a value.

        The row is created on first use; `floor` is where a new counter starts (a concurrent creation
        of the same row is resolved by get_or_create's unique-constraint retry).
        """
        cls.objects.get_or_create(name=name, defaults={"last_value": floor})
        counter = cls.objects.select_for_update().get(name=name)
        counter.last_value += 1
        counter.save(update_fields=["last_value"])
        return counter.last_value


def operators():
    """Active users holding operations.process_operation (superusers only when granted it explicitly)."""
    return get_user_model().objects.with_perm("operations.process_operation", include_superusers=False)


# A search matching this many clients walks the list's order instead of joining every match.
MANY_CLIENTS = 500


class OperationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A user without view_all_operations sees the operations of the clients it owns (their whole
        history, also after a reassignment) and, read-only, the closed operations it executed for a
        client since moved to someone else (its goals and commissions depend on them). Who may act
        on an operation is operations.policy's: always the client's current owner."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_perm("operations.view_all_operations"):
            return self
        return self.filter(models.Q(client__owner=user) | models.Q(trader=user, status__in=FINAL_STATUSES))

    def search(self, term):
        """The operations whose client matches `term` as on the clients list (document prefix, names,
        accents and case ignored) or whose code contains it.

        Two plans, because no single one is fast for both kinds of term on years of data. A narrow
        term (a document, a rare name) matches few clients: a semi-join on the union of the client
        matches and the code matches reads just their operations through their indexes. A common
        surname matches thousands of clients and tens of thousands of operations: there the list's
        order index is walked and each row tested against the matched clients (a hashed set), which
        stops after the page's rows instead of reading every match (1 s → 50 ms at a million
        operations). The OR keeps PostgreSQL from turning the test back into a join. One bounded
        query (at most MANY_CLIENTS rows) decides."""
        clients = client_search_filter(Client.objects.order_by(), term).values("pk")
        if connections[self.db].vendor == "postgresql" and clients[:MANY_CLIENTS].count() == MANY_CLIENTS:
            return self.filter(Q(client__in=clients) | Q(code__icontains=term))
        by_client = Operation.objects.order_by().filter(client__in=clients).values("pk")
        by_code = Operation.objects.order_by().filter(code__icontains=term).values("pk")
        return self.filter(pk__in=by_client.union(by_code))

    def awaiting_rate_approval(self):
        """Pendiente operations whose negotiated rate waits for a supervisor's approval."""
        return self.filter(status=OperationStatus.PENDING, requires_rate_approval=True, rate_approved_at__isnull=True)

    def not_cancelled(self):
        return self.exclude(status=OperationStatus.CANCELLED)

    def in_process(self):
        return self.filter(status=OperationStatus.IN_PROCESS)

    def operator_queue(self, user):
        """En proceso operations `user` should work on: its own; a supervisor sees all of them."""
        qs = (
            self.in_process()
            .select_related("client", "trader", "assigned_operator")
            .order_by("sent_to_process_at", "id")
        )
        if user.has_perm("operations.supervise_operation"):
            return qs
        if user.has_perm("operations.process_operation"):
            return qs.filter(assigned_operator=user)
        return qs.none()

    def returned_to(self, user):
        """Pendiente operations of `user`'s own clients that an operator returned (En proceso →
        Pendiente) and that were not sent again: the trader must fix them and send them again, or
        cancel them. Newest return first; each carries `returned_event_id` (the latest RETURNED
        event, for its reason and author; its own index, opevent_returned_idx).

        `returned_at` marks them: the return sets it, sending again or cancelling clears it (and the
        op_returned_is_pending constraint holds it to Pendiente), so a deposit fixed after the return
        does not hide the operation. The panel walks op_returned_idx newest first and stops after its
        rows, whatever the years of Pendiente operations. No status filter: the planner, taking the
        two as independent, would expect a handful of rows and read them all instead of walking.
        """
        if not (user and user.is_authenticated and user.has_perm("operations.add_operation")):
            return self.none()
        returns = returns_of(OuterRef("pk"))
        return (
            self.visible_to(user)
            .filter(returned_at__isnull=False, client__owner=user)
            .annotate(returned_event_id=Subquery(returns.values("pk")[:1]))
            .select_related("client")
            .order_by("-returned_at", "-id")
        )

    def queue_first(self):
        """En proceso first, then newest: the order staff work in (served by the op_queue_order_idx index)."""
        return self.annotate(_queue=queue_rank()).order_by("_queue", "-created_at", "-id")


def returns_of(operation):
    """The RETURNED events of `operation` (an id or OuterRef), latest first."""
    return OperationEvent.objects.filter(operation=operation, action=EventAction.RETURNED).order_by("-at", "-id")


def queue_rank():
    """0 for En proceso, 1 for the rest: the first key of the operations list's order. The index
    op_queue_order_idx is built on this very expression, so PostgreSQL reads the first page of the
    list from the index instead of sorting every operation."""
    return Case(When(status=OperationStatus.IN_PROCESS, then=Value(0)), default=Value(1), output_field=IntegerField())


class Operation(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True, editable=False)
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="operations",
        # New operations only for Activo clients (also scopes the admin's client autocomplete).
        limit_choices_to={"status": "active"},
    )
    type = models.CharField(_("type"), max_length=4, choices=OperationType.choices)
    amount_usd = fields.DecimalField(
        _("amount USD"),
        max_digits=14,
        decimal_places=2,
        validators=[AmountValidator(_("The amount in USD"), "OPERATION_MAX_USD")],
        error_messages=amount_messages(_("The amount in USD")),
    )
    rate = rate_field(_("exchange rate"))
    base_rate = models.DecimalField(_("base rate"), max_digits=8, decimal_places=4, editable=False)
    amount_pen = models.DecimalField(_("amount PEN"), max_digits=16, decimal_places=2, editable=False)
    profit_pen = models.DecimalField(_("profit PEN"), max_digits=16, decimal_places=2, editable=False)
    source_account = models.ForeignKey(
        BankAccount,
        verbose_name=_("client's source account"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    destination_account = models.ForeignKey(
        BankAccount,
        verbose_name=_("client's destination account"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Snapshots: later edits to the client's accounts never rewrite what this operation used.
    source_snapshot = models.CharField(_("source account (at creation)"), max_length=120, editable=False)
    destination_snapshot = models.CharField(_("destination account (at creation)"), max_length=120, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=OperationStatus.choices, default=OperationStatus.PENDING, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("operation", "created by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    trader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account executive"),
        on_delete=models.PROTECT,
        related_name="traded_operations",
        editable=False,
    )
    assigned_operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="assigned_operations",
        null=True,
        blank=True,
        editable=False,
    )
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("processed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_to_process_at = models.DateTimeField(_("sent to process at"), null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    # Set when an operator returns it to Pendiente, cleared when it is sent again or cancelled: the
    # trader's returned panel reads only the operations waiting for a fix (op_returned_idx) instead
    # of every Pendiente operation of the house with its events.
    returned_at = models.DateTimeField(_("returned to Pendiente at"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(pgettext_lazy("operation", "updated at"), auto_now=True)
    notes = models.TextField(_("notes"), blank=True)
    # Registro de Operaciones (UIF): kept true by operations.services.compliance, never typed.
    ro_single = models.BooleanField(_("RO single"), default=False, editable=False)
    ro_multiple = models.BooleanField(_("RO multiple"), default=False, editable=False)
    # Reinforced due diligence: the compliance officer's approval of a PEP client's operation.
    pep_approved_at = models.DateTimeField(_("approved by compliance at"), null=True, blank=True, editable=False)
    pep_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by compliance"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    # The negotiated-rate guard (operations.rate_guard): the published compra/venta of the operation's
    # side when it was created, whether its rate needs a supervisor's approval, and who gave it.
    published_rate = models.DecimalField(
        _("published rate"), max_digits=8, decimal_places=4, null=True, blank=True, editable=False
    )
    requires_rate_approval = models.BooleanField(_("requires rate approval"), default=False, editable=False)
    rate_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rate approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    rate_approved_at = models.DateTimeField(_("rate approved at"), null=True, blank=True, editable=False)

    objects = OperationQuerySet.as_manager()

    class Meta:
        verbose_name = _("operation")
        verbose_name_plural = _("operations")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The operations list's default order (En proceso first, then newest): its first page is
            # read from this index. The expression must stay identical to queue_rank().
            models.Index(queue_rank(), F("created_at").desc(), F("id").desc(), name="op_queue_order_idx"),
            # Goals (index panel, goals list) and a trader's month: completed operations of a trader
            # by completion date; only completed ones count, so only they are indexed.
            models.Index(
                fields=["trader", "completed_at"],
                condition=Q(status=OperationStatus.COMPLETED),
                name="op_trader_completed_idx",
            ),
            # The operations list filtered by a creation date range, the position and history exports.
            models.Index(fields=["-created_at"], name="op_created_idx"),
            models.Index(fields=["status", "-created_at"], name="op_status_created_idx"),
            models.Index(fields=["client", "-created_at"], name="op_client_idx"),
            models.Index(fields=["trader", "-created_at"], name="op_trader_idx"),
            models.Index(fields=["assigned_operator", "status"], name="op_operator_idx"),
            models.Index(fields=["completed_at"], name="op_completed_idx"),
            # The month's register reads only flagged operations.
            models.Index(
                fields=["created_at"], condition=Q(ro_single=True) | Q(ro_multiple=True), name="op_register_idx"
            ),
            models.Index(
                fields=["status", "-created_at"],
                name="op_rate_approval_idx",
                condition=Q(requires_rate_approval=True, rate_approved_at__isnull=True),
            ),
            # The trader's returned panel (index): the operations waiting for their trader, newest return first.
            models.Index(
                F("returned_at").desc(), F("id").desc(), condition=Q(returned_at__isnull=False), name="op_returned_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_usd__gt=0), name="op_amount_usd_positive"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="op_rate_positive"),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(status=OperationStatus.PENDING), name="op_returned_is_pending"
            ),
        ]
        permissions = [
            ("view_all_operations", _("Can see every trader's operations")),
            ("process_operation", _("Can process operations (operator queue)")),
            ("supervise_operation", _("Can act on any operation (cancel in process, reassign)")),
            ("review_compliance", _("Can see and export the operations register (UIF)")),
            ("approve_pep", _("Can approve PEP clients' operations (compliance)")),
        ]

    def __str__(self):
        return self.code or _("New operation")

    @property
    def is_final(self):
        return self.status in FINAL_STATUSES

    @property
    def awaiting_rate_approval(self):
        return self.requires_rate_approval and self.rate_approved_at is None

    # Currency flows from the client's side: in a Compra the house buys USD from the client.
    @property
    def client_sends_currency(self):
        return Currency.USD if self.type == OperationType.BUY else Currency.PEN

    @property
    def client_receives_currency(self):
        return Currency.PEN if self.type == OperationType.BUY else Currency.USD

    @property
    def client_sends_amount(self):
        return self.amount_usd if self.type == OperationType.BUY else self.amount_pen

    @property
    def client_receives_amount(self):
        return self.amount_pen if self.type == OperationType.BUY else self.amount_usd

    @staticmethod
    def compute_amounts(op_type, amount_usd, rate, base_rate):
        """(amount_pen, profit_pen), both rounded HALF_UP to the cent from exact products."""
        amount_usd, rate, base_rate = money.to_decimal(amount_usd), money.to_decimal(rate), money.to_decimal(base_rate)
        spread = (rate - base_rate) if op_type == OperationType.SELL else (base_rate - rate)
        return money.cents(amount_usd * rate), money.cents(amount_usd * spread)

    def reassign_targets(self):
        """Active operators this operation could be reassigned to: every one but its current operator."""
        return operators().exclude(pk=self.assigned_operator_id)

    def recompute(self):
        self.amount_pen, self.profit_pen = self.compute_amounts(self.type, self.amount_usd, self.rate, self.base_rate)

    @property
    def deposits_total(self):
        """Registered deposits that count (voided ones do not)."""
        return money.cents(self.deposits.not_voided().aggregate(t=Sum("amount"))["t"] or money.ZERO)

    @property
    def payouts_total(self):
        """Registered payouts that count (voided ones do not)."""
        return money.cents(self.payouts.not_voided().aggregate(t=Sum("amount"))["t"] or money.ZERO)

    def time_in_process(self, now=None):
        """How long it has been (or was) En proceso; None if it never got there."""
        if not self.sent_to_process_at:
            return None
        if self.status == OperationStatus.IN_PROCESS:
            end = now or timezone.now()
        elif self.status == OperationStatus.COMPLETED and self.completed_at:
            end = self.completed_at
        elif self.status == OperationStatus.CANCELLED and self.cancelled_at:
            end = self.cancelled_at
        else:
            return None
        return end - self.sent_to_process_at

    def is_over_sla(self, now=None):
        spent = self.time_in_process(now)
        return (
            self.status == OperationStatus.IN_PROCESS
            and spent is not None
            and spent.total_seconds() >= settings.OPERATION_SLA_MINUTES * 60
        )


class MovementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Deposits and payouts follow their operation's portfolio rule (downloads, lists)."""
        return self.filter(operation__in=Operation.objects.visible_to(user))

    def not_voided(self):
        """What counts: sums, balances, the checks before a transition, the 4-payout limit."""
        return self.filter(voided_at__isnull=True)

    def voided(self):
        return self.filter(voided_at__isnull=False)


def movement_amount(label):
    return fields.DecimalField(
        _("amount"),
        max_digits=16,
        decimal_places=2,
        validators=[AmountValidator(label)],
        error_messages=amount_messages(label),
    )


def movement_client_account(verbose_name):
    return models.ForeignKey(BankAccount, verbose_name=verbose_name, on_delete=models.PROTECT, related_name="+")


def movement_house_account(verbose_name):
    return models.ForeignKey(HouseBankAccount, verbose_name=verbose_name, on_delete=models.PROTECT, related_name="+")


class Movement(PrivateFile):
    """A money movement of an operation between a client's account and a house account: a deposit
    (the client pays the house) or a payout (the house pays the client). Each kind declares its
    amount and accounts (their labels differ) and which side of the operation it settles.

    Never deleted: a mistaken one is voided (anulado), with who, when and why. A voided row stays
    listed and its voucher downloadable, but it no longer counts anywhere."""

    # Which side of the operation this kind settles: "sends" (deposits) or "receives" (payouts).
    side = ""
    # At most this many rows that count per operation (None: no limit).
    max_per_operation = None

    operation = models.ForeignKey(
        Operation, verbose_name=_("operation"), on_delete=models.PROTECT, related_name="%(class)ss"
    )
    file = models.FileField(
        _("voucher"), upload_to=private_upload_to, max_length=255, blank=True, validators=[validate_upload]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    void_reason = models.TextField(_("reason for voiding"), blank=True, editable=False)

    objects = MovementQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["operation_id", "id"]
        constraints = [
            # Voided means both when and by whom; not voided means neither.
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True, voided_by__isnull=True)
                | Q(voided_at__isnull=False, voided_by__isnull=False),
                name="%(class)s_voided_when_and_by",
            )
        ]

    def __str__(self):
        # No words: the admin stores this text untranslated in its history ("S/ 1,234.50 · 12345678").
        text = display.money(self.amount, self.currency if self.operation_id else None)
        reference = getattr(self, "bank_reference", "")
        return f"{text} · {reference}" if reference else text

    @property
    def is_voided(self):
        return self.voided_at is not None

    @property
    def currency(self):
        return getattr(self.operation, f"client_{self.side}_currency")

    @classmethod
    def kind(cls):
        """ "deposit" / "payout": the name URLs, events and audit actions use for this kind."""
        return cls._meta.model_name


class Deposit(Movement):
    """Abono del cliente: money the client sent to one of the house's accounts."""

    side = "sends"
    upload_folder = "vouchers/deposits"

    amount = movement_amount(_("The deposit amount"))
    bank_reference = models.CharField(_("bank operation number"), max_length=40, blank=True)
    client_account = movement_client_account(_("client account charged"))
    house_account = movement_house_account(_("house account credited"))

    class Meta(Movement.Meta):
        verbose_name = _("client deposit")
        verbose_name_plural = _("client deposits")
        # One house account's money of one day (operations.treasury_ledger refreshes that day's balance).
        indexes = [models.Index(fields=["house_account", "created_at"], name="deposit_house_day_idx")]


class Payout(Movement):
    """Pago al cliente: money the house paid into the client's account."""

    side = "receives"
    max_per_operation = 4
    upload_folder = "vouchers/payouts"

    amount = movement_amount(_("The payout amount"))
    client_account = movement_client_account(_("client destination account"))
    house_account = movement_house_account(_("house account paying"))

    class Meta(Movement.Meta):
        verbose_name = _("payout to client")
        verbose_name_plural = _("payouts to client")
        indexes = [models.Index(fields=["house_account", "created_at"], name="payout_house_day_idx")]


class EventAction(models.TextChoices):
    CREATED = "created", _("Created")
    AMOUNT_CHANGED = "amount_changed", _("Amount changed")
    NOTES_CHANGED = "notes_changed", _("Notes changed")
    DEPOSIT_ADDED = "deposit_added", _("Deposit registered")
    DEPOSIT_CHANGED = "deposit_changed", _("Deposit changed")
    DEPOSIT_REMOVED = "deposit_removed", _("Deposit removed")  # before voiding existed; kept for old history
    DEPOSIT_VOIDED = "deposit_voided", _("Deposit voided")
    PAYOUT_ADDED = "payout_added", _("Payout registered")
    PAYOUT_CHANGED = "payout_changed", _("Payout changed")
    PAYOUT_REMOVED = "payout_removed", _("Payout removed")  # before voiding existed; kept for old history
    PAYOUT_VOIDED = "payout_voided", _("Payout voided")
    SENT_TO_PROCESS = "sent_to_process", _("Sent to process")
    RETURNED = "returned_to_pending", _("Returned to pending")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REASSIGNED = "operator_reassigned", _("Operator reassigned")
    COMPLIANCE_APPROVED = "compliance_approved", _("Approved by compliance")
    FUNDS_DECLARED = "funds_declared", _("Origin of funds recorded")
    RATE_CHANGED = "rate_changed", _("Exchange rate changed")
    RATE_APPROVED = "rate_approved", _("Exchange rate approved")


class OperationEvent(models.Model):
    """Every transition and amount edit of an operation: from, to, who, when, why."""

    operation = models.ForeignKey(
        Operation, verbose_name=_("operation"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("action"), max_length=30, choices=EventAction.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=OperationStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=OperationStatus.choices, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("operation event")
        verbose_name_plural = _("operation events")
        ordering = ["operation_id", "at", "id"]
        indexes = [
            models.Index(fields=["operation", "at"], name="opevent_op_idx"),
            # The returned operations (index panel of the trader): only returns, a small part of the
            # events, so finding whether and when an operation was returned reads this index only.
            models.Index(
                fields=["operation", "-at", "-id"],
                condition=Q(action=EventAction.RETURNED),
                name="opevent_returned_idx",
            ),
        ]

    def __str__(self):
        return f"{self.operation_id} {self.action}"


class AuditAction(models.TextChoices):
    """What operations records in the audit trail; the labels are what the audit page shows."""

    RATE_PUBLISHED = "exchangerate.create", pgettext_lazy("audit", "Exchange rate published")
    HOUSE_ACCOUNT_CREATED = "housebankaccount.create", pgettext_lazy("audit", "House account created")
    HOUSE_ACCOUNT_CHANGED = "housebankaccount.change", pgettext_lazy("audit", "House account changed")
    OPERATION_CREATED = "operation.create", pgettext_lazy("audit", "Operation created")
    AMOUNT_CHANGED = "operation.update_amount", pgettext_lazy("audit", "Operation amount changed")
    NOTES_CHANGED = "operation.update_notes", pgettext_lazy("audit", "Operation notes changed")
    DEPOSIT_ADDED = "operation.deposit_add", pgettext_lazy("audit", "Client deposit registered")
    DEPOSIT_CHANGED = "operation.deposit_change", pgettext_lazy("audit", "Client deposit changed")
    DEPOSIT_VOIDED = "operation.deposit_void", pgettext_lazy("audit", "Client deposit voided")
    PAYOUT_ADDED = "operation.payout_add", pgettext_lazy("audit", "Payout to client registered")
    PAYOUT_CHANGED = "operation.payout_change", pgettext_lazy("audit", "Payout to client changed")
    PAYOUT_VOIDED = "operation.payout_void", pgettext_lazy("audit", "Payout to client voided")
    SENT_TO_PROCESS = "operation.send_to_process", pgettext_lazy("audit", "Operation sent to process")
    RETURNED = "operation.return_to_pending", pgettext_lazy("audit", "Operation returned to Pendiente")
    COMPLETED = "operation.complete", pgettext_lazy("audit", "Operation completed")
    CANCELLED = "operation.cancel", pgettext_lazy("audit", "Operation cancelled")
    REASSIGNED = "operation.reassign_operator", pgettext_lazy("audit", "Operation reassigned to another operator")
    REGISTER_FLAGS_CHANGED = (
        "operation.register_flags",
        pgettext_lazy("audit", "Register (UIF) flags changed"),
    )
    COMPLIANCE_APPROVED = "operation.approve_compliance", pgettext_lazy("audit", "PEP operation approved by compliance")
    FUNDS_DECLARED = "fundsdeclaration.create", pgettext_lazy("audit", "Origin of funds recorded")
    FUNDS_DECLARATION_CHANGED = "fundsdeclaration.change", pgettext_lazy("audit", "Origin of funds changed")
    UNUSUAL_MARKED = "unusualoperation.create", pgettext_lazy("audit", "Operation marked as unusual")
    UNUSUAL_CHANGED = "unusualoperation.change", pgettext_lazy("audit", "Unusual operation evaluation changed")


# Treasury models live in their own module; importing them here is how Django finds them.
# The compliance records live in their own module; imported here so Django finds their models.
from operations.models_compliance import FundsDeclaration, UnusualOperation, UnusualStatus  # noqa: E402, F401
from operations.treasury_models import (  # noqa: E402, F401
    AccountDayBalance,
    BankStatement,
    OpeningBalance,
    TreasuryAction,
    TreasuryEntry,
    TreasuryKind,
    TreasuryLeg,
)
