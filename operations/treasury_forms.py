"""Forms of the treasury pages. They only shape the input; the rules are the services' (a refusal is
put back on the form by `show_refusal`)."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from operations.models import HouseBankAccount, TreasuryKind
from qoricash.fields import AsciiDecimalField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def amount_field(label, **kwargs):
    # Text, not a number input: staff type "1,250.50"; the service says what else is wrong in Spanish.
    return AsciiDecimalField(
        label=label, thousands=True, widget=forms.TextInput(attrs={"inputmode": "decimal", "maxlength": 30}), **kwargs
    )


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


def active_accounts():
    return HouseBankAccount.objects.filter(is_active=True).order_by("currency", "bank", "id")


class OpeningForm(forms.Form):
    account = AccountChoiceField(label=_("House account"), queryset=active_accounts())
    date = forms.DateField(label=_("Balance at the start of"), widget=DateInput())
    amount = amount_field(_("Opening balance"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class MovementForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k, label) for k, label in TreasuryKind.choices if k != TreasuryKind.VOID]
    )
    date = forms.DateField(label=_("Date"), widget=DateInput())
    account = AccountChoiceField(
        label=_("Account"),
        queryset=active_accounts(),
        help_text=_("Transfers: the account the money leaves. Currency deals: either of the two accounts."),
    )
    counter_account = AccountChoiceField(
        label=_("Other account"),
        queryset=active_accounts(),
        required=False,
        help_text=_("Transfers: the account receiving the money. Currency deals: the account in the other currency."),
    )
    amount = amount_field(_("Amount"), help_text=_("Currency deals: the amount in USD."))
    rate = AsciiDecimalField(
        label=_("Exchange rate"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "maxlength": 12}),
        help_text=_("Currency deals only."),
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("", "—"), ("in", _("Money in")), ("out", _("Money out"))],
        required=False,
        help_text=_("“Other” only."),
    )
    reference = forms.CharField(label=_("Bank operation number"), max_length=40, required=False)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required for “Other”."),
    )


class StatementForm(forms.Form):
    closing_balance = amount_field(_("Statement closing balance"))


class ReconcileForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when the statement and the system differ."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


def show_refusal(form, exc):
    """Put a service refusal on the form: a field's error on that field, the rest on top."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc))
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target if field != NON_FIELD_ERRORS else None, ValidationError(error.messages))
        return
    form.add_error(None, ValidationError(exc.messages))
