"""Helpers for driving the clients admin through the test client."""

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model

from clients.tests.factories import PDF_BYTES


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, Model):
        return value.pk
    return value


def admin_form_data(response):
    """The POST data a browser would send for the admin page in `response`, unchanged.

    Every form of every inline formset (extra rows included, with their initial values) is sent,
    so a test changes only what it means to change.
    """
    data = {}

    def add_form(form, prefix=None):
        for name, field in form.fields.items():
            if field.disabled or isinstance(field, forms.FileField):
                continue  # disabled: not posted by browsers; files: never re-sent
            key = f"{prefix}-{name}" if prefix else name
            value = form[name].value()
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
            elif isinstance(value, (list, tuple)):
                data[key] = [_plain(v) for v in value]
            else:
                data[key] = _plain(value)

    add_form(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for form in formset.forms:
            add_form(form, form.prefix)
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        data[f"{formset.prefix}-TOTAL_FORMS"] = len(formset.forms)
    return data


def prefix_of(response, model_name, upload=False):
    """The inline prefix for `model_name` ("bankaccount", "clientdocument"); upload picks the upload inline."""
    from clients.forms import ClientDocumentUploadForm

    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        if formset.model._meta.model_name != model_name:
            continue
        if model_name == "clientdocument" and upload != issubclass(formset.form, ClientDocumentUploadForm):
            continue
        return formset.prefix, len(formset.initial_forms), len(formset.forms)
    raise AssertionError(f"no inline for {model_name}")


def pdf(name="dni.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context and "messages" in response.context else []
