"""The value rules of operations' money fields, declared once and attached to the model fields.

Services build the model instance and call `full_clean()`; the admin's ModelForms run the same
validators. Nobody re-checks an amount or a rate by hand.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from qoricash import money


def _fill(message, params):
    return str(message) % {k: str(v) for k, v in params.items()}


# The label is interpolated when the message is shown, so it reads in the request's language.
fill_lazy = lazy(_fill, str)


def amount_messages(label):
    """Error messages of an amount field, in the words of the amount ("El importe del abono …")."""
    required = fill_lazy(_("%(label)s is required."), {"label": label})
    return {
        "null": required,
        "blank": required,
        "invalid": fill_lazy(_("%(label)s is not a valid number."), {"label": label}),
        "max_decimal_places": fill_lazy(_("%(label)s admits at most 2 decimals."), {"label": label}),
    }


def rate_messages():
    return {
        "null": fill_lazy(_("%(label)s is required."), {"label": _("The exchange rate")}),
        "blank": fill_lazy(_("%(label)s is required."), {"label": _("The exchange rate")}),
        "invalid": _("The exchange rate is not a valid number."),
        "max_decimal_places": _("The exchange rate admits at most 4 decimals."),
    }


@deconstructible
class AmountValidator:
    """An amount is positive and, where a setting names a maximum, at most that (read on each call,
    so the limit changes with the environment without a migration)."""

    def __init__(self, label, maximum_setting=None):
        self.label = label
        self.maximum_setting = maximum_setting

    def maximum(self):
        return money.cents(getattr(settings, self.maximum_setting)) if self.maximum_setting else None

    def __call__(self, value):
        if value <= 0:
            raise ValidationError(
                _("%(label)s must be greater than zero.") % {"label": self.label}, code="not_positive"
            )
        maximum = self.maximum()
        if maximum is not None and value > maximum:
            raise ValidationError(
                _("%(label)s cannot exceed %(max)s.") % {"label": self.label, "max": money.fmt(maximum)},
                code="too_large",
            )

    def __eq__(self, other):
        return (
            isinstance(other, AmountValidator)
            and str(self.label) == str(other.label)
            and self.maximum_setting == other.maximum_setting
        )


def rate_bounds():
    return money.rate(settings.RATE_MIN), money.rate(settings.RATE_MAX)


@deconstructible
class RateValidator:
    """A rate lies within RATE_MIN and RATE_MAX (settings, read on each call)."""

    def __call__(self, value):
        low, high = rate_bounds()
        if not (low <= value <= high):
            raise ValidationError(
                _("The exchange rate must be between %(low)s and %(high)s.") % {"low": low, "high": high},
                code="out_of_bounds",
            )

    def __eq__(self, other):
        return isinstance(other, RateValidator)
