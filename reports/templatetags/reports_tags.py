"""Number formatting for the report screens: 12,345.67 and 3.7000, as Peruvian staff read them."""

from django import template

from qoricash import display

register = template.Library()


@register.filter
def amount(value):
    """Two decimals with thousands separators; '—' for nothing."""
    return display.money(value)


@register.filter
def rate4(value):
    return display.rate(value)


@register.filter
def signed_amount(value):
    if value is None:
        return "—"
    text = display.money(value)
    return text if text.startswith("-") or value == 0 else f"+{text}"


@register.filter
def percent(value):
    """One decimal, a point as separator like the amounts: 25.0"""
    if value is None or value == "":
        return "—"
    return f"{value:.1f}"
