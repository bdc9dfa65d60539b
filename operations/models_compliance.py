"""The compliance records of an operation (SPLAFT): the client's declaration of the origin of the funds
and the internal register of unusual operations. Both are kept for good: never deleted, every change
audited (operations.services.compliance writes them)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qoricash.files import PrivateFile, private_upload_to, validate_upload


class FundsOrigin(models.TextChoices):
    # A context of their own: "Savings" and "Other" are also bank-account words with other Spanish.
    SALARY = "salary", pgettext_lazy("funds origin", "Salary")
    BUSINESS = "business", pgettext_lazy("funds origin", "Business income")
    SAVINGS = "savings", pgettext_lazy("funds origin", "Savings")
    ASSET_SALE = "asset_sale", pgettext_lazy("funds origin", "Sale of assets")
    LOAN = "loan", pgettext_lazy("funds origin", "Loan")
    INHERITANCE = "inheritance", pgettext_lazy("funds origin", "Inheritance")
    OTHER = "other", pgettext_lazy("funds origin", "Other")


class FundsDeclarationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A declaration follows its operation's portfolio rule (downloads, lists)."""
        from operations.models import Operation

        return self.filter(operation__in=Operation.objects.visible_to(user))


class FundsDeclaration(PrivateFile):
    """The client's declaration of where the money of one operation comes from (required at or above
    COMPLIANCE_ORIGIN_FUNDS_USD before the operation is sent to process)."""

    upload_folder = "compliance/funds"

    operation = models.OneToOneField(
        "operations.Operation",
        verbose_name=_("operation"),
        on_delete=models.PROTECT,
        related_name="funds_declaration",
    )
    origin = models.CharField(_("origin of the funds"), max_length=12, choices=FundsOrigin.choices)
    detail = models.TextField(
        _("detail"),
        max_length=1000,
        blank=True,
        help_text=_("Required when the origin is “Other”: say where the money comes from."),
    )
    file = models.FileField(
        _("supporting document"),
        upload_to=private_upload_to,
        max_length=255,
        blank=True,
        validators=[validate_upload],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("declaration", "recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    recorded_at = models.DateTimeField(pgettext_lazy("declaration", "recorded at"), auto_now_add=True)

    objects = FundsDeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = _("origin of funds declaration")
        verbose_name_plural = _("origin of funds declarations")
        ordering = ["-recorded_at", "-id"]

    def __str__(self):
        return str(self.get_origin_display())

    def clean(self):
        self.detail = (self.detail or "").strip()
        if self.origin == FundsOrigin.OTHER and not self.detail:
            raise ValidationError({"detail": _("Say where the money comes from when the origin is “Other”.")})

    @property
    def summary(self):
        """'Ahorros' or 'Otro: venta de cosecha' (the register and its export)."""
        label = str(self.get_origin_display())
        return f"{label}: {self.detail}" if self.detail else label


class UnusualStatus(models.TextChoices):
    EVALUATING = "evaluating", _("Under evaluation")
    DISMISSED = "dismissed", _("Dismissed")
    REPORTED = "reported", _("Reported to the UIF")


class UnusualOperationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=UnusualStatus.EVALUATING)

    def visible_to(self, user):
        from operations.models import Operation

        return self.filter(operation__in=Operation.objects.visible_to(user))


class UnusualOperation(models.Model):
    """The compliance officer's internal register of unusual operations and their evaluation.

    One entry per operation; its status moves from En evaluación to Descartada or Reportada a la UIF,
    with the date of each step. Never deleted."""

    operation = models.OneToOneField(
        "operations.Operation",
        verbose_name=_("operation"),
        on_delete=models.PROTECT,
        related_name="unusual_report",
    )
    note = models.TextField(_("why it is unusual"), max_length=4000)
    status = models.CharField(
        _("evaluation status"), max_length=12, choices=UnusualStatus.choices, default=UnusualStatus.EVALUATING
    )
    evaluation = models.TextField(_("evaluation notes"), max_length=4000, blank=True)
    uif_reference = models.CharField(_("UIF report reference"), max_length=60, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    marked_at = models.DateTimeField(_("marked at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)

    objects = UnusualOperationQuerySet.as_manager()

    class Meta:
        verbose_name = _("unusual operation")
        verbose_name_plural = _("unusual operations")
        ordering = ["-marked_at", "-id"]
        indexes = [models.Index(fields=["status", "-marked_at"], name="unusual_status_idx")]
        constraints = [
            # A decision has a date and an author; an open evaluation has neither.
            models.CheckConstraint(
                condition=Q(status="evaluating", decided_at__isnull=True)
                | (~Q(status="evaluating") & Q(decided_at__isnull=False)),
                name="unusual_decided_when",
            )
        ]

    def __str__(self):
        return str(self.operation)

    def clean(self):
        self.note = (self.note or "").strip()
        self.evaluation = (self.evaluation or "").strip()
        self.uif_reference = (self.uif_reference or "").strip()
        errors = {}
        if not self.note:
            errors["note"] = _("Say why the operation is unusual.")
        if self.status != UnusualStatus.EVALUATING and not self.evaluation:
            errors["evaluation"] = _("Write the evaluation that supports the decision.")
        if errors:
            raise ValidationError(errors)
