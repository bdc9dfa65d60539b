"""Admin forms of operations: widgets, labels and the choices a user may pick. The rules are the
model's (validators, constraints) and the services'; a service's refusal is put on these forms by
qoricash.admin_services.ServiceAdminMixin, with the user's input kept.
"""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import BankAccount, Client
from operations import policy, rate_guard
from operations.models import Deposit, ExchangeRate, HouseBankAccount, Operation, OperationType, Payout
from operations.services import parse_id
from operations.transitions import REASON_NONE, REASON_REQUIRED
from qoricash import display
from qoricash.fields import AsciiDecimalField
from qoricash.held_uploads import HeldFileInput, HeldFilesFormMixin


class AccountChoiceField(forms.ModelChoiceField):
    """Client accounts shown as 'BCP USD ****1234' (never the full number in a select)."""

    def label_from_instance(self, obj):
        return str(obj)


class HouseAccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_bank_display()} {obj.currency} {obj.number}"


class VoucherInput(HeldFileInput):
    """A file input: the stored voucher is shown (name, size, safe link) in its own column, never
    through FieldFile.url (a private file has no public URL); a new voucher that passed its checks
    is kept if the page is refused (qoricash.held_uploads)."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg", **(attrs or {})})

    def format_value(self, value):
        return None


# --- Exchange rates ----------------------------------------------------------------------------------


class ExchangeRateForm(forms.ModelForm):
    class Meta:
        model = ExchangeRate
        fields = ("buy", "sell", "base", "effective_at")
        help_texts = {
            "base": _("The house's reference (cost) rate: buy ≤ base ≤ sell."),
            "effective_at": _(
                "Now by default. A later time schedules the rate; it cannot be earlier than the current one."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("buy", "sell", "base"):
            if name in self.fields:
                self.fields[name].widget.attrs.update({"step": "0.0001", "inputmode": "decimal", "autocomplete": "off"})


# --- House accounts ----------------------------------------------------------------------------------


class HouseBankAccountForm(forms.ModelForm):
    class Meta:
        model = HouseBankAccount
        fields = ("bank", "currency", "number", "cci", "holder", "is_active")
        # Stored untranslated in the history page's change messages, translated when shown.
        labels = {
            "bank": _("Bank"),
            "currency": _("Currency"),
            "number": _("Account number"),
            "cci": _("CCI"),
            "holder": _("Holder"),
            "is_active": _("Active"),
        }


# --- Operations --------------------------------------------------------------------------------------


class OperationAddForm(forms.ModelForm):
    """New operation: the service computes code, base rate, PEN amount, profit and snapshots."""

    user = None  # set by the admin (a subclass per request)

    source_account = AccountChoiceField(
        queryset=BankAccount.objects.none(),
        label=_("Account the client pays from"),
        help_text=_("USD for a Compra, PEN for a Venta."),
    )
    destination_account = AccountChoiceField(
        queryset=BankAccount.objects.none(),
        label=_("Account the client is paid into"),
        help_text=_("PEN for a Compra, USD for a Venta."),
    )
    rate = AsciiDecimalField(
        label=_("Exchange rate"),
        max_digits=8,
        decimal_places=4,
        required=False,
        help_text=_("Leave it empty to use the published rate (compra for a Compra, venta for a Venta)."),
    )

    confirm_rate = forms.BooleanField(
        label=_("Book it anyway: it will wait for a supervisor's approval"),
        required=False,
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Operation
        fields = ("client", "type", "amount_usd", "rate", "source_account", "destination_account", "notes")
        widgets = {"type": forms.RadioSelect, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._drop_client_that_is_not_an_id()
        self.fields["type"].choices = OperationType.choices  # no empty radio
        # Only Activo clients of the user's portfolio (the autocomplete is scoped the same way).
        self.fields["client"].queryset = Client.objects.visible_to(self.user).active()
        self.fields["type"].initial = OperationType.BUY
        self.fields["amount_usd"].widget.attrs.update(
            {"step": "0.01", "min": "0.01", "inputmode": "decimal", "autocomplete": "off"}
        )
        self.fields["amount_usd"].help_text = _("Maximum US$ %(max)s.") % {
            "max": display.money(settings.OPERATION_MAX_USD)
        }
        self.fields["rate"].widget.attrs.update({"step": "0.0001", "inputmode": "decimal", "autocomplete": "off"})
        # Only accounts of the chosen (visible, active) client are acceptable; the page's script
        # narrows the lists by currency as the type changes.
        accounts = BankAccount.objects.filter(is_active=True, client__in=Client.objects.visible_to(self.user))
        client_id = self.data.get(self.add_prefix("client")) if self.is_bound else self.initial.get("client")
        client_id = parse_id(client_id.pk if hasattr(client_id, "pk") else client_id)
        accounts = accounts.filter(client_id=client_id) if client_id else accounts.none()
        for name in ("source_account", "destination_account"):
            self.fields[name].queryset = accounts.order_by("currency", "bank", "id")

    def clean(self):
        """A rate the guard would stop is booked only once the user has read why (the warning names the
        published rate, and the resulting profit to those who may see it) and ticked the confirmation
        that appears with it."""
        data = super().clean()
        current = ExchangeRate.objects.current()
        op_type, rate = data.get("type"), data.get("rate")
        if current is None or rate is None or op_type not in OperationType.values:
            return data
        published = current.buy if op_type == OperationType.BUY else current.sell
        result = rate_guard.check(op_type, rate, published, current.base)
        if result.needs_approval and not data.get("confirm_rate"):
            self.fields["confirm_rate"].widget = forms.CheckboxInput()
            warning = result.warning(data.get("amount_usd"), show_cost=policy.sees_operation_cost(self.user))
            raise forms.ValidationError(warning, code="rate_needs_approval")
        return data

    def _drop_client_that_is_not_an_id(self):
        """A client value that is not an id ("²", "abc") counts as a client that does not exist.

        The admin's autocomplete widget looks the selected value up in the database while rendering,
        and int("²") would be a 500 there: a posted one becomes "0" (no such client: "choose a valid
        option"), one from the URL (?client=²) is ignored.
        """
        key = self.add_prefix("client")
        if self.is_bound:
            raw = self.data.get(key)
            if raw not in (None, "") and parse_id(raw) is None:
                self.data = self.data.copy()
                self.data[key] = "0"
        else:
            raw = self.initial.get("client")
            if raw not in (None, "") and not hasattr(raw, "pk") and parse_id(raw) is None:
                del self.initial["client"]


class OperationChangeForm(forms.ModelForm):
    """An existing operation: only the USD amount (while Pendiente) and the notes can change here."""

    user = None

    class Meta:
        model = Operation
        fields = ("amount_usd", "rate", "notes")
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        # Labels the admin stores (untranslated) in the change message of the history page and
        # translates when shown: each needs its own Spanish entry.
        labels = {"amount_usd": _("Amount USD"), "rate": _("Exchange rate"), "notes": _("Notes")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "amount_usd" in self.fields:
            self.fields["amount_usd"].widget.attrs.update(
                {"step": "0.01", "min": "0.01", "inputmode": "decimal", "autocomplete": "off"}
            )
        if "rate" in self.fields:
            self.fields["rate"].widget.attrs.update({"step": "0.0001", "inputmode": "decimal", "autocomplete": "off"})


# --- Deposits and payouts (inline forms) -------------------------------------------------------------


class MovementForm(HeldFilesFormMixin, forms.ModelForm):
    """A deposit or payout row: accounts limited to the operation's client and the kind's currency."""

    operation = None  # set per request by the inline
    # Column headers, and the field names the admin stores (untranslated) in the history page's
    # change messages ("Cambios en Importe y Comprobante para abono del cliente …"): capitalised
    # msgids of their own, translated when the history is shown.
    field_labels = {}

    client_account = AccountChoiceField(queryset=BankAccount.objects.none())
    house_account = HouseAccountChoiceField(queryset=HouseBankAccount.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in self.field_labels.items():
            if name in self.fields:
                self.fields[name].label = label
        if "amount" in self.fields:
            self.fields["amount"].widget.attrs.update({"step": "0.01", "min": "0.01", "inputmode": "decimal"})
        op = self.operation
        if op is None:
            return
        side = self._meta.model.side
        currency = getattr(op, f"client_{side}_currency")
        accounts = BankAccount.objects.filter(client=op.client, currency=currency, is_active=True)
        houses = HouseBankAccount.objects.filter(currency=currency, is_active=True)
        if self.instance.pk:  # keep showing what was chosen, even if deactivated since
            accounts = accounts | BankAccount.objects.filter(pk=self.instance.client_account_id)
            houses = houses | HouseBankAccount.objects.filter(pk=self.instance.house_account_id)
        self.fields["client_account"].queryset = accounts.distinct()
        self.fields["house_account"].queryset = houses.distinct()
        if self.instance.pk and self.instance.is_voided:
            for field in self.fields.values():  # shown as it was, never changed again
                field.disabled = True
        if not self.instance.pk:
            # The usual case: one transfer from/to the operation's own account.
            own = op.source_account_id if side == "sends" else op.destination_account_id
            self.fields["client_account"].initial = own
            if houses.count() == 1:
                self.fields["house_account"].initial = houses.first().pk


class DepositForm(MovementForm):
    field_labels = {
        "amount": _("Amount"),
        "bank_reference": _("Bank operation number"),
        "client_account": _("Client account charged"),
        "house_account": _("House account credited"),
        "file": _("Voucher"),
    }

    class Meta:
        model = Deposit
        fields = ("amount", "bank_reference", "client_account", "house_account", "file")
        widgets = {"file": VoucherInput}


class PayoutForm(MovementForm):
    field_labels = {
        "amount": _("Amount"),
        "client_account": _("Client destination account"),
        "house_account": _("House account paying"),
        "file": _("Voucher"),
    }

    class Meta:
        model = Payout
        fields = ("amount", "client_account", "house_account", "file")
        widgets = {"file": VoucherInput}


class MovementFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        limit = self.model.max_per_operation
        if limit is None:
            return
        kept = [f for f in self.forms if f.has_changed() or f.instance.pk]
        kept = [f for f in kept if not (f.instance.pk and f.instance.is_voided)]  # voided ones do not count
        if len(kept) > limit:
            raise forms.ValidationError(_("An operation admits at most %(max)s payouts.") % {"max": limit})


# --- Transitions ---------------------------------------------------------------------------------------


class TransitionForm(forms.Form):
    """What a transition's confirmation page asks: the choices and the reason its entry declares; the
    cleaned data are the keywords of its service function."""

    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )

    def __init__(self, *args, transition, operation, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition.reason == REASON_NONE:
            del self.fields["reason"]
        elif transition.reason == REASON_REQUIRED:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = _("Required: it is kept in the operation's history.")
        else:
            self.fields["reason"].label = _("Comment (optional)")
        for choice in transition.choices:
            self.fields[choice.name] = forms.ModelChoiceField(
                label=choice.label,
                queryset=choice.options(operation),
            )
        self.order_fields([c.name for c in transition.choices])


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Required: it is kept with the row and in the operation's history."),
    )


def default_effective_at():
    return timezone.localtime().replace(microsecond=0)
