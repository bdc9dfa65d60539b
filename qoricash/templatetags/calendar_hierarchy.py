"""A date hierarchy for lists too big for Django's: its links come from the calendar, not the table.

Django's `date_hierarchy` offers the years (months, days) that hold rows with SELECT DISTINCT
date_trunc(...) over the list's filtered rows, which reads every row of the period shown: on the
first visit, the whole table. This one reads the first and last value of the unfiltered table
(MIN/MAX, one probe of each end of the column's index) and offers every year, month or day between
them. The parameters, the filtering and the template are Django's; with other filters applied a
link may lead to a period without rows (an empty list).

A model's change_list.html uses it in place of Django's tag:
    {% block date_hierarchy %}{% if cl.date_hierarchy %}{% calendar_date_hierarchy cl %}{% endif %}{% endblock %}
"""

import calendar
import datetime

from django import template
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()


def _local_date(value):
    if isinstance(value, datetime.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return value


def _number(value):
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _title(day, fmt):
    return capfirst(formats.date_format(day, fmt))


@register.inclusion_tag("admin/date_hierarchy.html")
def calendar_date_hierarchy(cl):
    field = cl.date_hierarchy
    year, month, day = (_number(cl.params.get(f"{field}__{part}")) for part in ("year", "month", "day"))

    def link(filters):
        return cl.get_query_string(filters, [f"{field}__"])

    bounds = cl.root_queryset.aggregate(first=models.Min(field), last=models.Max(field))
    first, last = _local_date(bounds["first"]), _local_date(bounds["last"])
    if not (year or month or day) and first and last and first.year == last.year:
        # As Django does: a table within one year (or month) opens at that level.
        year = first.year
        if first.month == last.month:
            month = first.month

    def within(start, end):
        return first is not None and start <= last and end >= first

    if year and month and day:
        chosen = datetime.date(year, month, day)
        return {
            "show": True,
            "back": {
                "link": link({f"{field}__year": year, f"{field}__month": month}),
                "title": _title(chosen, "YEAR_MONTH_FORMAT"),
            },
            "choices": [{"title": _title(chosen, "MONTH_DAY_FORMAT")}],
        }
    if year and month:
        days = [datetime.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]
        return {
            "show": True,
            "back": {"link": link({f"{field}__year": year}), "title": str(year)},
            "choices": [
                {
                    "link": link({f"{field}__year": year, f"{field}__month": month, f"{field}__day": d.day}),
                    "title": _title(d, "MONTH_DAY_FORMAT"),
                }
                for d in days
                if within(d, d)
            ],
        }
    if year:
        months = [datetime.date(year, m, 1) for m in range(1, 13)]
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [
                {
                    "link": link({f"{field}__year": year, f"{field}__month": m.month}),
                    "title": _title(m, "YEAR_MONTH_FORMAT"),
                }
                for m in months
                if within(m, m.replace(day=calendar.monthrange(year, m.month)[1]))
            ],
        }
    years = range(first.year, last.year + 1) if first and last else ()
    return {
        "show": True,
        "back": None,
        "choices": [{"link": link({f"{field}__year": str(y)}), "title": str(y)} for y in years],
    }
