"""Admin template tags: the list buttons apps register with `admin.site.register_button`, and the
rows of a list (qoricash/admin_rows.py)."""

from django import template
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers, result_hidden_fields, result_list
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag(takes_context=True)
def registered_buttons(context):
    request = context.get("request")
    cl = context.get("cl")
    if request is None or cl is None or not hasattr(admin.site, "buttons_for"):
        return ""
    return format_html_join(
        "\n",
        '<li><a href="{}"{}{}{}>{}{}</a></li>',
        (
            (
                href,
                format_html(' id="{}"', b.element_id) if b.element_id else "",
                format_html(' class="{}"', b.css_class) if b.css_class else "",
                format_html(' title="{}"', b.title) if b.title else "",
                format_html("{} ", b.icon) if b.icon else "",
                b.label,
            )
            for b, href in admin.site.buttons_for(request, cl.opts.label_lower)
        ),
    )


def _result_rows(cl):
    """Django's `result_list` context, with the rows from `cl.result_rows()` when the list has it (the
    lists of our site: qoricash/admin_rows.py); other sites' lists keep Django's own rows."""
    if not hasattr(cl, "result_rows"):
        return result_list(cl)
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": cl.result_rows(),
    }


@register.tag(name="result_rows")
def result_rows_tag(parser, token):
    # The same template as Django's result_list (change_list_results.html, overridable per model).
    return InclusionAdminNode(
        parser, token, func=_result_rows, template_name="change_list_results.html", takes_context=False
    )
