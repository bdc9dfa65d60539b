"""Forms of the users admin and of the password pages."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from qoricash.outbox.queue import enqueue


def _unique_email(form, email):
    email = (email or "").strip().lower()
    qs = get_user_model()._default_manager.filter(email__iexact=email)
    if form.instance.pk:
        qs = qs.exclude(pk=form.instance.pk)
    if qs.exists():
        raise forms.ValidationError(_("Another user already has this e-mail address."), code="email_taken")
    return email


class UserInviteForm(forms.ModelForm):
    """The Master creates a user with a role and no password; the user sets it from the e-mailed link."""

    role = forms.ModelChoiceField(
        label=_("Role"),
        queryset=Group.objects.order_by("name"),
        help_text=_("The group whose permissions the user gets. It can be changed later."),
    )

    class Meta:
        model = get_user_model()
        fields = ("username", "first_name", "last_name", "email", "dni")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        self.fields["email"].help_text = _("The invitation to choose a password is sent to this address.")

    def clean_email(self):
        return _unique_email(self, self.cleaned_data.get("email"))


class UserEditForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ("username", "first_name", "last_name", "email", "dni", "is_active", "groups")

    def clean_email(self):
        return _unique_email(self, self.cleaned_data.get("email"))


class PasswordResetRequestForm(auth_forms.PasswordResetForm):
    """Also reaches invited users who never chose a password (their invitation may have expired)."""

    def get_users(self, email):
        users = get_user_model()._default_manager.filter(email__iexact=(email or "").strip(), is_active=True)
        return (u for u in users if u.email)

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        """Through the outbox like every message; the link is personal, so the admin hides its body."""
        from accounts.services import PASSWORD_RESET

        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        html = render_to_string(html_email_template_name, context) if html_email_template_name else ""
        enqueue(
            PASSWORD_RESET,
            to=[to_email],
            subject=subject,
            text=render_to_string(email_template_name, context),
            html=html,
            related=context.get("user"),
            confidential=True,
        )


class SetPasswordForm(auth_forms.SetPasswordForm):
    pass
