"""Forms of the clients admin: the client form, the bank-account inline and the reassignment pages."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from import_export.forms import ImportForm

from clients import policy
from clients.models import BankAccount, Client, ClientDocument, account_set_errors
from clients.validators import mask
from qoricash.held_uploads import HeldFileInput, HeldFilesFormMixin


class ErrorsOnHiddenFieldsMixin:
    """Model validation may name a field that is read-only for this user (not in the form).

    Django would raise ValueError (a 500); instead such errors are shown at the top of the form,
    prefixed with the field's label.
    """

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            visible, hidden = {}, []
            for field, messages in errors.error_dict.items():
                if field == NON_FIELD_ERRORS or field in self.fields:
                    visible[field] = messages
                else:
                    label = capfirst(self._meta.model._meta.get_field(field).verbose_name)
                    hidden += [f"{label}: {m}" for e in messages for m in e.messages]
            if hidden:
                visible.setdefault(NON_FIELD_ERRORS, []).extend(ValidationError(m) for m in hidden)
            errors = ValidationError(visible)
        super()._update_errors(errors)


class ClientAdminForm(ErrorsOnHiddenFieldsMixin, forms.ModelForm):
    class Meta:
        model = Client
        fields = (*policy.REGISTRATION_FIELDS, "owner")
        widgets = {
            "phones": forms.TextInput(attrs={"placeholder": "987654321; 014445555", "size": 40}),
            "cc_emails": forms.TextInput(attrs={"placeholder": "finanzas@empresa.pe; gerencia@empresa.pe", "size": 60}),
            "address": forms.TextInput(attrs={"size": 60}),
        }


class MaskedNumberWidget(forms.Widget):
    """Shows ****1234 and never renders the real number into the page (read-only use only)."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html('<span class="masked-number">{}</span>', mask(value) if value else "—")


class BankAccountInlineForm(ErrorsOnHiddenFieldsMixin, forms.ModelForm):
    """A row of the accounts inline. `user` is set by the inline (a subclass per request).

    Without `clients.view_full_accounts`, a registered account's number and CCI are shown masked
    and cannot be edited: to correct one, deactivate it and add the right one.
    """

    user = None

    class Meta:
        model = BankAccount
        fields = ("bank", "account_type", "currency", "number", "cci", "location", "is_active")
        widgets = {
            "number": forms.TextInput(attrs={"size": 22, "inputmode": "numeric", "autocomplete": "off"}),
            "cci": forms.TextInput(attrs={"size": 24, "inputmode": "numeric", "autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("number", "cci"):
            # Room for the dashes and spaces people paste; stored as bare digits (model clean).
            self.fields[name].max_length = 30
            self.fields[name].validators = []
            self.fields[name].widget.attrs["maxlength"] = 30
        if self.instance.pk and self.user is not None and not self.user.has_perm("clients.view_full_accounts"):
            for name in ("number", "cci"):
                field = self.fields[name]
                field.disabled = True
                field.widget = MaskedNumberWidget()


class BankAccountInlineFormSet(BaseInlineFormSet):
    """The account rules on the whole set: 2–6 active, one PEN and one USD, no exact duplicate."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return  # each row's own errors first; the set is checked once the rows are valid
        accounts = []
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue  # an untouched extra row
            accounts.append(form.instance)
        errors = account_set_errors(accounts, complete=True)
        if errors:
            raise ValidationError(errors)

    def changed_accounts(self):
        """The instances to hand to the services: new rows and rows with changes."""
        return [f.instance for f in self.forms if f.has_changed()]


class ClientDocumentUploadForm(HeldFilesFormMixin, ErrorsOnHiddenFieldsMixin, forms.ModelForm):
    """A new document; its file is kept if the client form is refused (qoricash.held_uploads)."""

    class Meta:
        model = ClientDocument
        fields = ("kind", "file")
        widgets = {"file": HeldFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})}


class ClientImportForm(ImportForm):
    """django-import-export's upload form with the labels staff understand ("Resource" says nothing)."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        # A context of our own: the library's catalogue (earlier in INSTALLED_APPS) owns the plain msgids.
        self.fields["resource"].label = pgettext_lazy("import form", "What the file contains")
        self.fields["import_file"].label = pgettext_lazy("import form", "File to import")
        self.fields["import_file"].help_text = pgettext_lazy(
            "import form", "Excel (xlsx) or CSV, with the column names in the first row."
        )
        self.fields["format"].label = pgettext_lazy("import form", "File format")
        self.fields["format"].help_text = pgettext_lazy(
            "import form", "Chosen from the file name; change it only if it is wrong."
        )


class ReassignForm(forms.Form):
    to_owner = forms.ModelChoiceField(
        label=_("New account executive"),
        queryset=policy.owner_candidates(),
        help_text=_("Only active traders can hold a portfolio."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_owner"].queryset = policy.owner_candidates()


class PortfolioReassignForm(ReassignForm):
    from_owner = forms.ModelChoiceField(label=_("Current account executive"), queryset=Client.objects.owners())
    field_order = ["from_owner", "to_owner"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_owner"].queryset = Client.objects.owners()

    def clean(self):
        data = super().clean()
        if data.get("from_owner") and data.get("from_owner") == data.get("to_owner"):
            raise ValidationError(_("Choose two different account executives."))
        return data
