"""The one way an admin form saves through a service and shows its refusal.

A ModelAdmin that mixes in `ServiceAdminMixin` implements

    def save_via_service(self, request, form, formsets, change):
        return services.register_client(form.instance, by=request.user)

and never saves by itself. When the service refuses (Django's `ValidationError` or
`PermissionDenied`, the only two errors a service raises), nothing is kept (the admin's transaction
rolls back) and the same page is shown again with status 200, the user's input intact:

- an error keyed by a field of the form appears on that field;
- an error keyed `<row prefix>-<field>` (see `row_error_key`) appears on that field of that inline row;
- everything else (no key, `__all__`, a field the form does not show, `PermissionDenied`) on top.

How: the refusal is raised out of `changeform_view`'s transaction, then the view runs once more on
the same POST with the refusal attached to the form and the inline formsets, so Django's own
rendering (fieldsets, inlines, error counts, media) shows it exactly like a validation error.
"""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext

_REFUSAL_ATTR = "_qoricash_service_refusal"


def row_error_key(row_form, field):
    """The key that puts a service error on `field` of one inline row (`row_form` is that row's form)."""
    return f"{row_form.prefix}-{field}"


class _Refused(Exception):
    def __init__(self, error):
        super().__init__(error)
        self.error = error


def _as_dict(error):
    """{key: [ValidationError, ...]} for a refusal; PermissionDenied and plain lists go on top."""
    if isinstance(error, PermissionDenied):
        text = str(error) or gettext("You do not have permission to do this.")
        return {NON_FIELD_ERRORS: [ValidationError(text)]}
    if hasattr(error, "error_dict"):
        return {key: list(errors) for key, errors in error.error_dict.items()}
    return {NON_FIELD_ERRORS: list(error.error_list)}


def _main_errors(error, form, row_prefixes):
    """{field or None: [...]}: what the main form shows (everything not aimed at an existing inline row)."""
    out = {}
    for key, errors in _as_dict(error).items():
        if any(key.startswith(f"{prefix}-") for prefix in row_prefixes):
            continue
        target = key if key != NON_FIELD_ERRORS and key in form.fields else None
        out.setdefault(target, []).extend(errors)
    return out


def _row_errors(error, prefix):
    """{field: [...]} aimed at the inline row whose form prefix is `prefix`."""
    return {
        key[len(prefix) + 1 :]: errors
        for key, errors in _as_dict(error).items()
        if key != NON_FIELD_ERRORS and key.startswith(f"{prefix}-")
    }


def _add_errors(form, errors_by_field):
    for field, errors in errors_by_field.items():
        if field is not None and field not in form.fields:
            field = None
        # On the second run the form's own checks may now find the same problem: say it once.
        shown = set(form.errors.get(field or NON_FIELD_ERRORS, []))
        new = [e for e in errors if not shown.intersection(e.messages)]
        if new:
            form.add_error(field, new)


class ServiceAdminMixin:
    """Mix into a ModelAdmin whose saves go through a service (see the module docstring)."""

    def save_via_service(self, request, form, formsets, change):
        """Call the service that saves `form.instance` (and the inline rows); return the saved object."""
        raise NotImplementedError(f"{type(self).__name__} must implement save_via_service()")

    # --- Django's save steps: the service does the work, once, with everything the user sent. ------
    def save_model(self, request, obj, form, change):
        """Nothing here: the service saves the object together with its inlines in save_related."""

    def save_related(self, request, form, formsets, change):
        try:
            saved = self.save_via_service(request, form, formsets, change)
        except (ValidationError, PermissionDenied) as exc:
            raise _Refused(exc) from exc
        if saved is not None and saved is not form.instance:
            # The admin logs and redirects to form.instance; point it at what the service saved.
            form.instance.pk = saved.pk
        for formset in formsets:
            # The change message reads what formset.save() records; a service may save rows itself.
            for attr in ("new_objects", "changed_objects", "deleted_objects"):
                if not hasattr(formset, attr):
                    setattr(formset, attr, [])

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            # The transaction of the first attempt is rolled back; show the same POST with the refusal.
            setattr(request, _REFUSAL_ATTR, refused.error)
            try:
                return super().changeform_view(request, object_id, form_url, extra_context)
            finally:
                delattr(request, _REFUSAL_ATTR)

    # --- Second run: the refusal becomes validation errors of the form and of the inline rows. -----
    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, _REFUSAL_ATTR, None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def _post_clean(self):
                super()._post_clean()
                _add_errors(self, _main_errors(refusal, self, self._row_prefixes))

        RefusedForm.__name__ = form_class.__name__
        RefusedForm._row_prefixes = self._inline_prefixes(request, obj)
        return RefusedForm

    def get_formsets_with_inlines(self, request, obj=None):
        refusal = getattr(request, _REFUSAL_ATTR, None)
        for formset_class, inline in super().get_formsets_with_inlines(request, obj):
            if refusal is None:
                yield formset_class, inline
                continue

            class RefusedFormSet(formset_class):
                def full_clean(self):
                    super().full_clean()
                    for row in self.forms:
                        errors = _row_errors(refusal, row.prefix)
                        if errors and hasattr(row, "cleaned_data"):
                            _add_errors(row, errors)

            RefusedFormSet.__name__ = formset_class.__name__
            yield RefusedFormSet, inline

    def _inline_prefixes(self, request, obj):
        """Prefixes of every inline row the POST carries (`deposits-0`, `deposits-1`, ...)."""
        prefixes = []
        for key in request.POST:
            if key.endswith("-TOTAL_FORMS"):
                base = key[: -len("-TOTAL_FORMS")]
                try:
                    total = int(request.POST[key])
                except (TypeError, ValueError):
                    continue
                prefixes.extend(f"{base}-{i}" for i in range(max(0, min(total, 1000))))
        return prefixes
