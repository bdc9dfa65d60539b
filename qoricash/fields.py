"""The one form field for amounts and rates.

`AsciiDecimalField` accepts what staff type on a Peruvian keyboard: ASCII digits and one decimal
point (and Peru's thousands commas where a page takes them). Django's own field passes the text to
`Decimal()`, which also reads "１００", "٥٠٠", "1_000", "1E5" and "NaN": a pasted or crafted value
would be stored as a number nobody typed. The rule itself is `qoricash.money.parse`.

`DecimalField` is the model field every money column uses: Django's, whose form field is
`AsciiDecimalField`, so every ModelForm (admin pages, inlines) gets the rule without repeating it.
It deconstructs as Django's DecimalField, so migrations do not see it.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from qoricash import money

PLAIN_MESSAGE = _("Enter the number with the digits 0-9 and a decimal point, for example 1250.50.")
GROUPED_MESSAGE = _(
    "Enter the number with the digits 0-9, a decimal point and, if you like, thousands commas, for example 1,250.50."
)


class AsciiDecimalField(forms.DecimalField):
    def __init__(self, *, thousands=False, **kwargs):
        self.thousands = thousands
        super().__init__(**kwargs)
        self.error_messages["invalid"] = GROUPED_MESSAGE if thousands else PLAIN_MESSAGE

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int):  # initial data, never typed text
            return Decimal(value)
        try:
            return money.parse(value, thousands=self.thousands)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class DecimalField(models.DecimalField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": AsciiDecimalField, **kwargs})

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs
