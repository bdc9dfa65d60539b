"""Admin template tags: the list buttons apps register with `admin.site.register_button`."""

from django import template
from django.contrib import admin
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
