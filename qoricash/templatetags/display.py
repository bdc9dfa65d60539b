"""Template side of qoricash.display: `{% load display %}{{ op.amount_usd|money:"USD" }}`."""

from django import template

from qoricash import display

register = template.Library()


@register.filter(name="money")
def money_filter(value, currency=None):
    return display.money(value, currency)


@register.filter(name="rate")
def rate_filter(value):
    return display.rate(value)


@register.filter(name="local_date")
def date_filter(value):
    return display.date(value)


@register.filter(name="local_datetime")
def datetime_filter(value):
    return display.datetime(value)


@register.filter(name="currency_label")
def currency_label_filter(code):
    return display.currency_label(code)
