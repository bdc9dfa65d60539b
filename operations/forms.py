"""Admin forms of operations. They validate by calling the same service checks the services run
again inside their transaction, so a refusal shows next to the right field and nothing is saved.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import BankAccount, Client
from operations import services
from operations.models import Deposit, ExchangeRate, HouseBankAccount, Operation, OperationType, Payout
from operations.services import OperationError
from qoricash import money


def _attach(form, exc, fallback=None):
    """Put an OperationError on its field when the form has it, else on the whole form."""
    field = exc.field if exc.field in form.fields else fallback
    form.add_error(field, exc.message)


class AccountChoiceField(forms.ModelChoiceField):
    """Client accounts shown as 'BCP USD ****1234' (never the full number in a select)."""

    def label_from_instance(self, obj):
        return str(obj)


class HouseAccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_bank_display()} {obj.currency} {obj.number}"


class VoucherInput(forms.ClearableFileInput):
    """A plain file input: the stored voucher is shown (name, size, safe link) in its own column,
    never through FieldFile.url (a private file has no public URL)."""

    template_name = "django/forms/widgets/file.html"
    clear_checkbox_label = ""

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

    def clean(self):
        cleaned = super().clean()
        effective_at = cleaned.get("effective_at")
        if effective_at:
            try:
                services.check_effective_at(effective_at)
            except OperationError as exc:
                _attach(self, exc)
        return cleaned


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
    rate = forms.DecimalField(
        label=_("Exchange rate"),
        max_digits=8,
        decimal_places=4,
        required=False,
        help_text=_("Leave it empty to use the published rate (compra for a Compra, venta for a Venta)."),
    )

    class Meta:
        model = Operation
        fields = ("client", "type", "amount_usd", "rate", "source_account", "destination_account", "notes")
        widgets = {"type": forms.RadioSelect, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = None
        self._drop_client_that_is_not_an_id()
        self.fields["type"].choices = OperationType.choices  # no empty radio
        # Only Activo clients of the user's portfolio (the autocomplete is scoped the same way).
        self.fields["client"].queryset = Client.objects.visible_to(self.user).active()
        self.fields["type"].initial = OperationType.BUY
        self.fields["amount_usd"].widget.attrs.update(
            {"step": "0.01", "min": "0.01", "inputmode": "decimal", "autocomplete": "off"}
        )
        self.fields["amount_usd"].help_text = _("Maximum US$ %(max)s.") % {"max": money.fmt(services.max_usd())}
        self.fields["rate"].widget.attrs.update({"step": "0.0001", "inputmode": "decimal", "autocomplete": "off"})
        # Only accounts of the chosen (visible, active) client are acceptable; the page's script
        # narrows the lists by currency as the type changes.
        accounts = BankAccount.objects.filter(is_active=True, client__in=Client.objects.visible_to(self.user))
        client_id = self.data.get(self.add_prefix("client")) if self.is_bound else self.initial.get("client")
        client_id = services.parse_id(client_id.pk if hasattr(client_id, "pk") else client_id)
        accounts = accounts.filter(client_id=client_id) if client_id else accounts.none()
        for name in ("source_account", "destination_account"):
            self.fields[name].queryset = accounts.order_by("currency", "bank", "id")

    def _drop_client_that_is_not_an_id(self):
        """A client value that is not an id ("²", "abc") counts as a client that does not exist.

        The admin's autocomplete widget looks the selected value up in the database while rendering,
        and int("²") would be a 500 there: a posted one becomes "0" (no such client: "choose a valid
        option"), one from the URL (?client=²) is ignored.
        """
        key = self.add_prefix("client")
        if self.is_bound:
            raw = self.data.get(key)
            if raw not in (None, "") and services.parse_id(raw) is None:
                self.data = self.data.copy()
                self.data[key] = "0"
        else:
            raw = self.initial.get("client")
            if raw not in (None, "") and not hasattr(raw, "pk") and services.parse_id(raw) is None:
                del self.initial["client"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.terms = services.prepare_operation(
                self.user,
                client=cleaned.get("client"),
                type=cleaned.get("type"),
                amount_usd=cleaned.get("amount_usd"),
                rate=cleaned.get("rate"),
                source_account=cleaned.get("source_account"),
                destination_account=cleaned.get("destination_account"),
            )
        except OperationError as exc:
            _attach(self, exc)
        return cleaned


class OperationChangeForm(forms.ModelForm):
    """An existing operation: only the USD amount (while Pendiente) and the notes can change here."""

    user = None

    class Meta:
        model = Operation
        fields = ("amount_usd", "notes")
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        # Labels the admin stores (untranslated) in the change message of the history page and
        # translates when shown: each needs its own Spanish entry.
        labels = {"amount_usd": _("Amount USD"), "notes": _("Notes")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "amount_usd" in self.fields:
            self.fields["amount_usd"].widget.attrs.update(
                {"step": "0.01", "min": "0.01", "inputmode": "decimal", "autocomplete": "off"}
            )

    def clean_amount_usd(self):
        value = self.cleaned_data.get("amount_usd")
        if "amount_usd" in self.changed_data:
            if not services.can_edit_amount(self.user, self.instance):
                raise forms.ValidationError(_("You are not allowed to change this operation's amount."))
            try:
                value = services._amount(value, "amount_usd", _("The amount in USD"), maximum=services.max_usd())
            except OperationError as exc:
                raise forms.ValidationError(exc.message)
        return value


# --- Deposits and payouts (inline forms) -------------------------------------------------------------


class _ChildForm(forms.ModelForm):
    """Common to deposit and payout rows: accounts limited to the operation's client and currency."""

    operation = None  # set per request by the inline
    user = None
    refusals = {}  # {form prefix: OperationError} a service raised while saving this row (shown again)
    currency_attr = ""  # "client_sends_currency" or "client_receives_currency"
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
        op = self.operation
        if op is None:
            return
        currency = getattr(op, self.currency_attr)
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
            default = (
                op.source_account_id if self.currency_attr == "client_sends_currency" else op.destination_account_id
            )
            self.fields["client_account"].initial = default
            if houses.count() == 1:
                self.fields["house_account"].initial = houses.first().pk
        self.fields["amount"].widget.attrs.update({"step": "0.01", "min": "0.01", "inputmode": "decimal"})

    def clean(self):
        cleaned = super().clean()
        refusal = self.refusals.get(self.prefix)
        if refusal is not None:
            _attach(self, refusal)
        return cleaned

    def _service_check(self, cleaner):
        if self.operation is None or not self.has_changed():
            return
        fields = {k: self.cleaned_data.get(k) for k in self.changed_data if k in self.cleaned_data}
        if not self.instance.pk:
            fields = dict(self.cleaned_data)
        try:
            cleaner(self.operation, fields, current=self.instance if self.instance.pk else None)
        except OperationError as exc:
            _attach(self, exc)


class DepositForm(_ChildForm):
    currency_attr = "client_sends_currency"
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

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self._service_check(services.clean_deposit_fields)
        return cleaned


class PayoutForm(_ChildForm):
    currency_attr = "client_receives_currency"
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

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self._service_check(services.clean_payout_fields)
        return cleaned


class PayoutFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.has_changed() or f.instance.pk]
        kept = [f for f in kept if not (f.instance.pk and f.instance.is_voided)]  # voided ones do not count
        if len(kept) > Payout.MAX_PER_OPERATION:
            raise forms.ValidationError(
                _("An operation admits at most %(max)s payouts.") % {"max": Payout.MAX_PER_OPERATION}
            )


# --- Transitions ---------------------------------------------------------------------------------------


class TransitionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )

    def __init__(self, *args, transition, operation, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition.needs_reason:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = _("Required: it is kept in the operation's history.")
        else:
            self.fields["reason"].label = _("Comment (optional)")
        if transition.name == "reassign":
            candidates = services.reassign_targets(operation)  # never empty here: refused before
            self.fields["operator"] = forms.ModelChoiceField(
                label=_("New operator"),
                queryset=candidates.order_by("first_name", "last_name", "username"),
            )
            self.order_fields(["operator", "reason"])
        if transition.name in ("send_to_process", "complete"):
            del self.fields["reason"]


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Required: it is kept with the row and in the operation's history."),
    )


def default_effective_at():
    return timezone.localtime().replace(microsecond=0)
