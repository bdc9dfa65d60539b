"""Treasury: what the house holds in each of its bank accounts.

An account's balance at the end of a Lima day is its latest opening balance dated on or before that
day, plus the day-by-day money of that opening's date onwards: client deposits credited to it (in),
payouts paid from it (out), both only while not voided, and the legs of manual treasury entries
(transfers, bank fees, interbank currency purchases and sales, other). Every row here is append-only:
an opening is superseded by a newer dated one, an entry is reversed by a voiding entry, a reconciled
day is reopened (with a reason) rather than changed.

Imported by operations.models (Django finds the models there); `operations.treasury` computes the
balances and `operations.services.treasury` holds the use cases.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from operations.validators import RateValidator, rate_messages
from qoricash import display, fields


def _signed_amount(verbose_name):
    return fields.DecimalField(verbose_name, max_digits=16, decimal_places=2)


class OpeningBalance(models.Model):
    """The balance of a house account at the start of `date` (before that day's money).

    The effective opening of a day is the latest one dated on or before it (then the newest row):
    a wrong opening is corrected by a new one, never edited."""

    account = models.ForeignKey(
        "operations.HouseBankAccount",
        verbose_name=_("house account"),
        on_delete=models.PROTECT,
        related_name="openings",
    )
    date = models.DateField(_("date"))
    amount = _signed_amount(_("opening balance"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("treasury", "set by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    set_at = models.DateTimeField(pgettext_lazy("treasury", "set at"), auto_now_add=True)

    class Meta:
        verbose_name = _("opening balance")
        verbose_name_plural = _("opening balances")
        ordering = ["account_id", "-date", "-id"]
        indexes = [models.Index(fields=["account", "-date", "-id"], name="opening_account_date_idx")]

    def __str__(self):
        return f"{self.account} · {display.date(self.date)} · {display.money(self.amount, self.account.currency)}"


class TreasuryKind(models.TextChoices):
    TRANSFER = "transfer", _("Transfer between our accounts")
    FEE = "fee", _("Bank fee")
    FX_BUY = "fx_buy", _("Interbank purchase of USD")
    FX_SELL = "fx_sell", _("Interbank sale of USD")
    OTHER = "other", _("Other")
    VOID = "void", _("Voiding entry")


class TreasuryEntry(models.Model):
    """A manual treasury movement: one or two legs (transfers and currency deals move two of our
    accounts in one entry). Never edited or deleted: a mistake gets a voiding entry (`voids`), dated
    like the original, whose legs cancel the original's."""

    kind = models.CharField(_("kind"), max_length=10, choices=TreasuryKind.choices)
    date = models.DateField(_("date"))
    rate = fields.DecimalField(
        _("exchange rate"),
        max_digits=8,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[RateValidator()],
        error_messages=rate_messages(),
    )
    reason = models.TextField(_("reason"), blank=True)
    reference = models.CharField(_("bank operation number"), max_length=40, blank=True)
    voids = models.OneToOneField(
        "self",
        verbose_name=_("voids"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="voided_by_entry",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("treasury movement")
        verbose_name_plural = _("treasury movements")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["date"], name="treasury_entry_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="void", voids__isnull=False) | (~Q(kind="void") & Q(voids__isnull=True)),
                name="treasury_void_names_original",
            ),
        ]
        permissions = [
            ("view_treasury", _("Can see the house account balances")),
            ("manage_treasury", _("Can record treasury movements, opening balances and reconciliations")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {display.date(self.date)}"

    @property
    def is_voided(self):
        return hasattr(self, "voided_by_entry")


class TreasuryLeg(models.Model):
    """What one entry does to one account: a signed amount in the account's currency (+ in, − out),
    dated like its entry so balances sum legs by (account, date) alone."""

    entry = models.ForeignKey(TreasuryEntry, verbose_name=_("movement"), on_delete=models.PROTECT, related_name="legs")
    account = models.ForeignKey(
        "operations.HouseBankAccount",
        verbose_name=_("house account"),
        on_delete=models.PROTECT,
        related_name="treasury_legs",
    )
    date = models.DateField(_("date"))
    amount = _signed_amount(_("amount"))

    class Meta:
        verbose_name = _("treasury movement leg")
        verbose_name_plural = _("treasury movement legs")
        ordering = ["entry_id", "id"]
        indexes = [models.Index(fields=["account", "date"], name="treasury_leg_account_date_idx")]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="treasury_leg_not_zero")]

    def __str__(self):
        return f"{self.account} {display.money(self.amount, self.account.currency)}"


class BankStatement(models.Model):
    """The bank statement's closing balance of one account on one day, and whether the day is
    reconciled (who, when, and the system's balance then). A reconciled day refuses back-dated
    movements until it is reopened (with a reason, audited)."""

    account = models.ForeignKey(
        "operations.HouseBankAccount",
        verbose_name=_("house account"),
        on_delete=models.PROTECT,
        related_name="statements",
    )
    date = models.DateField(_("date"))
    closing_balance = _signed_amount(_("statement closing balance"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)
    system_balance = models.DecimalField(
        _("system balance when reconciled"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reconciled by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["account_id", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["account", "date"], name="uniq_statement_account_date"),
            models.CheckConstraint(
                condition=Q(reconciled_at__isnull=True, reconciled_by__isnull=True)
                | Q(reconciled_at__isnull=False, reconciled_by__isnull=False),
                name="statement_reconciled_when_and_by",
            ),
        ]

    def __str__(self):
        return f"{self.account} · {display.date(self.date)}"

    @property
    def is_reconciled(self):
        return self.reconciled_at is not None


class AccountDayBalance(models.Model):
    """An account's money of one Lima day and its balance at the end of it, stored so that a balance is
    read from one row instead of summed from every movement since the opening (which grows with the
    years of data). Written only by `operations.treasury_ledger`, in the transaction of the movement,
    opening or voiding that changes it, with the account row locked.

    A row exists for each day with money on or after the account's first opening; the balance at the
    end of day D is the closing of the latest row between D's opening and D, or that opening's amount
    when there is none. `manage.py verify_balances` recomputes every row from the movements."""

    account = models.ForeignKey(
        "operations.HouseBankAccount",
        verbose_name=_("house account"),
        on_delete=models.PROTECT,
        related_name="day_balances",
    )
    date = models.DateField(_("date"))
    day_in = models.DecimalField(_("money in"), max_digits=18, decimal_places=2)
    day_out = models.DecimalField(_("money out"), max_digits=18, decimal_places=2)
    closing_balance = models.DecimalField(_("closing balance"), max_digits=18, decimal_places=2)
    movements = models.PositiveIntegerField(_("movements"))

    class Meta:
        verbose_name = _("account day balance")
        verbose_name_plural = _("account day balances")
        ordering = ["account_id", "date"]
        constraints = [models.UniqueConstraint(fields=["account", "date"], name="uniq_day_balance_account_date")]

    def __str__(self):
        return f"{self.account_id} · {self.date}"


class TreasuryAction(models.TextChoices):
    """What treasury records in the audit trail."""

    OPENING_SET = "openingbalance.create", pgettext_lazy("audit", "Opening balance set")
    ENTRY_CREATED = "treasuryentry.create", pgettext_lazy("audit", "Treasury movement registered")
    ENTRY_VOIDED = "treasuryentry.void", pgettext_lazy("audit", "Treasury movement voided")
    STATEMENT_ENTERED = "bankstatement.enter", pgettext_lazy("audit", "Bank statement balance entered")
    DAY_RECONCILED = "bankstatement.reconcile", pgettext_lazy("audit", "Bank account day reconciled")
    DAY_REOPENED = "bankstatement.reopen", pgettext_lazy("audit", "Reconciled day reopened")
