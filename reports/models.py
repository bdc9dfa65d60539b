from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class TraderGoal(models.Model):
    """A trader's monthly profit goal in PEN, set by the Master. Progress is always computed."""

    trader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("trader"), on_delete=models.PROTECT,
                               related_name="goals")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2020), MaxValueValidator(2100)])
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    goal_pen = models.DecimalField(_("goal (PEN profit)"), max_digits=14, decimal_places=2,
                                   validators=[MinValueValidator(Decimal("0.00"))])
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("set by"), on_delete=models.PROTECT,
                               related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("trader goal")
        verbose_name_plural = _("trader goals")
        ordering = ["-year", "-month", "trader_id"]
        constraints = [models.UniqueConstraint(fields=["trader", "year", "month"], name="uniq_trader_goal")]

    def __str__(self):
        return f"{self.trader} {self.month:02d}/{self.year}: S/ {self.goal_pen}"
