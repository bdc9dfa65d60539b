"""The rows of an admin list: the HTML Django's `items_for_result` writes, for less CPU per page.

Django works out every cell from scratch: which kind of column it is (a model lookup that fails for
each method column), the empty-value text, the change link (a `reverse()` and, with filters on, a
`resolve()` per row) and two `format_html` calls. A list of 50 rows and 11 columns spends more time
there than in the columns' own code, and the operations list is the desk's busiest page.

Here what is the same for every row is computed once per page: the kind of each column, its class
attribute and empty text, the change link with a placeholder for the primary key, the checkbox's
label. A column that is a ModelAdmin method (most of ours) is called directly; any other column
(fields, model methods and properties, callables) goes through Django's own `lookup_field` and
`display_for_field`, cell by cell. Lists with editable rows (`list_editable`) and popups keep
Django's own rows.

`test_admin_rows.py` compares these rows with Django's, character by character, on every list of
the site.
"""

import datetime
from functools import cache

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import ResultList, _coerce_field_name, results
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

# Stands for the primary key in the change link computed once per page; replaced by each row's key.
_PK_PLACEHOLDER = 918273645546372819


class _Column:
    __slots__ = ("name", "method", "boolean", "empty", "empty_html", "classes", "tag", "checkbox")


def _columns(cl):
    model_admin = cl.model_admin
    opts = cl.lookup_opts
    default_empty = model_admin.get_empty_value_display()
    links = cl.list_display_links
    own_checkbox = type(model_admin).action_checkbox is admin.ModelAdmin.action_checkbox
    columns = []
    first = True
    for index, name in enumerate(cl.list_display):
        column = _Column()
        column.name = name
        column.method = None
        column.checkbox = False
        column.classes = f"field-{_coerce_field_name(name, index)}"
        is_link = links is not None and ((first and not links) or name in links)
        column.tag = None
        if is_link:
            column.tag = "th" if first else "td"
            first = False
        if not callable(name) and name != "__str__" and hasattr(model_admin, name) and not _is_field(opts, name):
            # What lookup_field does for a ModelAdmin method, decided once instead of once per cell.
            column.method = getattr(model_admin, name)
            column.boolean = getattr(column.method, "boolean", False)
            column.empty = getattr(column.method, "empty_value_display", default_empty)
            column.empty_html = conditional_escape(column.empty)
            if name == "action_checkbox":
                column.classes = "action-checkbox"
                column.checkbox = own_checkbox
        columns.append(column)
    return columns, default_empty


def _is_field(opts, name):
    try:
        _get_non_gfk_field(opts, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        return False
    return True


def _django_cell(cl, column, result, default_empty):
    """A cell exactly as items_for_result computes it: (text, extra class or "")."""
    model_admin = cl.model_admin
    try:
        f, attr, value = lookup_field(column.name, result, model_admin)
    except ObjectDoesNotExist:
        return default_empty, ""
    empty_value_display = getattr(attr, "empty_value_display", default_empty)
    if isinstance(value, str) and value.strip() == "":
        value = ""
    nowrap = ""
    if f is None or f.auto_created:
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        result_repr = display_for_value(value, empty_value_display, boolean)
        if isinstance(value, (datetime.date, datetime.time)):
            nowrap = " nowrap"
    else:
        if isinstance(f.remote_field, models.ManyToOneRel):
            field_val = getattr(result, f.name)
            result_repr = empty_value_display if field_val is None else field_val
        else:
            result_repr = display_for_field(value, f, empty_value_display, avoid_link=column.tag is not None)
        if isinstance(f, (models.DateField, models.TimeField, models.ForeignKey)):
            nowrap = " nowrap"
    return result_repr, nowrap


def _method_cell(column, result, default_empty):
    """A ModelAdmin method's cell as HTML: (html, extra class or "")."""
    try:
        value = column.method(result)
    except ObjectDoesNotExist:
        return conditional_escape(default_empty), ""
    kind = type(value)
    if (kind is SafeString or kind is str) and not column.boolean:
        if not value.strip():
            return column.empty_html, ""
        return (value if kind is SafeString else escape(value)), ""
    if isinstance(value, str) and value.strip() == "":
        value = ""
    nowrap = " nowrap" if isinstance(value, (datetime.date, datetime.time)) else ""
    return conditional_escape(display_for_value(value, column.empty, column.boolean)), nowrap


class _Links:
    """Each row's change link, with the list's filters preserved, as escaped HTML (None: no link)."""

    def __init__(self, cl):
        self.cl = cl
        self.context = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
        self.head = self.tail = None
        try:
            url = cl.url_for_result(_Placeholder())
        except NoReverseMatch:
            return
        parts = escape(add_preserved_filters(self.context, url)).split(str(_PK_PLACEHOLDER))
        if len(parts) == 2:
            self.head, self.tail = parts

    def __call__(self, result):
        pk = getattr(result, self.cl.pk_attname)
        if self.head is not None and type(pk) is int:
            return f"{self.head}{pk}{self.tail}"
        try:
            url = self.cl.url_for_result(result)
        except NoReverseMatch:
            return None
        return escape(add_preserved_filters(self.context, url))


class _Placeholder:
    def __getattr__(self, name):
        return _PK_PLACEHOLDER


def rows(cl):
    """The list's rows for change_list_results.html: one ResultList per row, as Django's `results(cl)`
    gives them, holding the row's cells as one piece of HTML."""
    if cl.formset or cl.is_popup:
        return list(results(cl))
    columns, default_empty = _columns(cl)
    links = _Links(cl) if any(c.tag for c in columns) else None
    checkbox_label = gettext("Select this object for an action - {}")
    out = []
    for result in cl.result_list:
        cells = []
        for column in columns:
            if column.checkbox:
                html = format_html(
                    '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                    helpers.ACTION_CHECKBOX_NAME,
                    str(result.pk),
                    format_html(checkbox_label, str(result)),
                )
                nowrap = ""
            elif column.method is not None:
                html, nowrap = _method_cell(column, result, default_empty)
            else:
                text, nowrap = _django_cell(cl, column, result, default_empty)
                html = conditional_escape(text)
            if column.tag is None:
                cells.append(SafeString(f'<td class="{column.classes}{nowrap}">{html}</td>'))
                continue
            href = links(result)
            if href is not None:
                html = f'<a href="{href}">{html}</a>'
            cells.append(SafeString(f'<{column.tag} class="{column.classes}{nowrap}">{html}</{column.tag}>'))
        # change_list_results.html writes a row's items one after the other: one item is the same
        # HTML for a tenth of the template's work.
        out.append(ResultList(None, [SafeString("".join(cells))]))
    return out


@cache
def with_rows(changelist_class):
    """`changelist_class` with `result_rows()`, which the project's change_list.html renders."""
    if hasattr(changelist_class, "result_rows"):
        return changelist_class
    return type(changelist_class.__name__, (changelist_class,), {"result_rows": rows})


class ListRowsMixin:
    """Mixed into every ModelAdmin of the site (QoriCashAdminSite.register): its list's rows come from
    `rows()`. Django's own admin sites (the benchmark's bare one) keep Django's rows."""

    def get_changelist(self, request, **kwargs):
        return with_rows(super().get_changelist(request, **kwargs))
