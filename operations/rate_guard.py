"""The negotiated-rate guard: a rate worse for the house than the published one by more than
RATE_TOLERANCE, or one that loses against the base rate, needs a supervisor's approval before the
operation can be sent to process.

Worse for the house: in a Compra the house buys USD, so a rate above the published compra; in a
Venta the house sells USD, so a rate below the published venta. Exactly the tolerance is accepted;
one ten-thousandth past it is not. The published rate is the one in force when the operation was
created (stored on it), so a later rate change never moves the line under an open operation.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from operations.models import Operation, OperationType
from qoricash import display, money


class GuardAction(models.TextChoices):
    """What the guard records in the audit trail."""

    RATE_CHANGED = "operation.update_rate", pgettext_lazy("audit", "Operation exchange rate changed")
    RATE_APPROVED = "operation.approve_rate", pgettext_lazy("audit", "Operation exchange rate approved")


def tolerance() -> Decimal:
    return money.rate(settings.RATE_TOLERANCE)


@dataclass(frozen=True)
class RateCheck:
    type: str
    rate: Decimal
    published: Decimal | None
    base: Decimal
    tolerance: Decimal

    @property
    def worse_by(self) -> Decimal:
        """How much worse for the house than the published rate (negative: better); 0 without one."""
        if self.published is None:
            return money.rate(0)
        gap = self.rate - self.published if self.type == OperationType.BUY else self.published - self.rate
        return money.rate(gap)

    @property
    def past_tolerance(self) -> bool:
        return self.worse_by > self.tolerance

    @property
    def loss(self) -> bool:
        """Below the base spread: the profit (base − rate in a Compra, rate − base in a Venta) is negative."""
        return self.rate > self.base if self.type == OperationType.BUY else self.rate < self.base

    @property
    def needs_approval(self) -> bool:
        return self.past_tolerance or self.loss

    def profit(self, amount_usd) -> Decimal:
        return Operation.compute_amounts(self.type, amount_usd, self.rate, self.base)[1]

    def warning(self, amount_usd=None, *, show_cost=True) -> str:
        """Why it needs approval, with the published rate and the resulting profit (Spanish).

        Without `show_cost` neither the base rate nor the profit is named: one operation's profit with
        its amount and rate gives the base rate away."""
        parts = []
        if self.past_tolerance:
            parts.append(
                _(
                    "The rate %(rate)s is %(gap)s worse for the house than the published %(side)s %(published)s "
                    "(tolerance %(tolerance)s)."
                )
                % {
                    "rate": display.rate(self.rate),
                    "gap": display.rate(self.worse_by),
                    "side": _("compra") if self.type == OperationType.BUY else _("venta"),
                    "published": display.rate(self.published),
                    "tolerance": display.rate(self.tolerance),
                }
            )
        if self.loss and show_cost:
            parts.append(
                _("At %(rate)s the operation loses against the base rate %(base)s.")
                % {"rate": display.rate(self.rate), "base": display.rate(self.base)}
            )
        elif self.loss:
            loss = _("At %(rate)s the operation loses against the base rate.")
            parts.append(loss % {"rate": display.rate(self.rate)})
        if amount_usd not in (None, "") and show_cost:
            parts.append(_("Resulting profit: %(profit)s.") % {"profit": display.money(self.profit(amount_usd), "PEN")})
        parts.append(_("It will wait for a supervisor's approval before it can be sent to process."))
        return " ".join(parts)


def check(op_type, rate, published, base) -> RateCheck:
    return RateCheck(
        type=op_type,
        rate=money.rate(rate),
        published=money.rate(published) if published is not None else None,
        base=money.rate(base),
        tolerance=tolerance(),
    )


def check_operation(op) -> RateCheck:
    return check(op.type, op.rate, op.published_rate, op.base_rate)


def evaluate(op) -> RateCheck:
    """Set op.requires_rate_approval from its rate, published rate and base rate (nothing saved)."""
    result = check_operation(op)
    op.requires_rate_approval = result.needs_approval
    return result


def rate_problem(op):
    """Why `op` cannot be sent to process because of its rate (a ValidationError), or None."""
    if not op.awaiting_rate_approval:
        return None
    return ValidationError(
        _(
            "Operation %(code)s was booked at %(rate)s, which needs a supervisor's approval: it cannot be sent "
            "to process until a supervisor approves the rate or the trader changes it."
        )
        % {"code": op.code, "rate": display.rate(op.rate)}
    )
