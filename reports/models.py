from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from qoricash import display, fields

GOAL_NOT_NEGATIVE = pgettext_lazy("report", "The goal cannot be negative.")
GOAL_NOT_AN_AMOUNT = pgettext_lazy("report", "The goal must be an amount in soles.")


class Report(models.Model):
    """No table: only carries the report permissions so groups can hold them."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("report")
        permissions = [
            ("view_position", _("Can view the position")),
            ("export_history", _("Can export the operations history")),
            ("view_profit", _("Can view profit figures")),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)


class Month(models.IntegerChoices):
    JANUARY = 1, _("January")
    FEBRUARY = 2, _("February")
    MARCH = 3, _("March")
    APRIL = 4, _("April")
    MAY = 5, _("May")
    JUNE = 6, _("June")
    JULY = 7, _("July")
    AUGUST = 8, _("August")
    SEPTEMBER = 9, _("September")
    OCTOBER = 10, _("October")
    NOVEMBER = 11, _("November")
    DECEMBER = 12, _("December")


class TraderGoalQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Whoever sees every trader's operations sees every goal; anyone else only its own."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_perm("operations.view_all_operations"):
            return self
        return self.filter(trader=user)


class TraderGoal(models.Model):
    """A trader's monthly profit goal in PEN, set by the Master. Progress is always computed."""

    trader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("trader"), on_delete=models.PROTECT, related_name="goals"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2020), MaxValueValidator(2100)])
    month = models.PositiveSmallIntegerField(
        _("month"), choices=Month.choices, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    goal_pen = fields.DecimalField(
        _("goal (PEN profit)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"), message=GOAL_NOT_NEGATIVE)],
        error_messages=dict.fromkeys(
            ("invalid", "null", "blank"), pgettext_lazy("report", "The goal must be an amount in soles.")
        ),
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TraderGoalQuerySet.as_manager()

    class Meta:
        verbose_name = _("trader goal")
        verbose_name_plural = _("trader goals")
        ordering = ["-year", "-month", "trader_id"]
        constraints = [
            models.UniqueConstraint(fields=["trader", "year", "month"], name="uniq_trader_goal"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="tradergoal_month_range"),
            models.CheckConstraint(
                condition=models.Q(goal_pen__gte=0),
                name="tradergoal_goal_not_negative",
                violation_error_message=GOAL_NOT_NEGATIVE,
            ),
        ]

    def __str__(self):
        return f"{self.trader} {self.month:02d}/{self.year}: {display.money(self.goal_pen, 'PEN')}"

    def unique_error_message(self, model_class, unique_check):
        # One goal per trader and month: say which goal exists and what to do, not Django's generic text.
        if tuple(unique_check) == ("trader", "year", "month"):
            return ValidationError(
                pgettext("report", "%(trader)s already has a goal for %(period)s; change that goal instead.")
                % {"trader": self.trader, "period": self.period_label},
                code="unique_together",
            )
        return super().unique_error_message(model_class, unique_check)

    @property
    def period_label(self):
        return pgettext("goal period", "%(month)s of %(year)s") % {"month": self.get_month_display(), "year": self.year}
