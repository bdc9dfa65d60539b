"""Number formatting for the report screens: 12,345.67 and 3.7000, as Peruvian staff read them."""

from html import escape

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import pgettext

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


# The position's rows are written here rather than by a {% for %} in the template: a busy period
# shows 200 rows of a dozen cells, and the template engine spent about half of the page's time on
# them. The markup is what the table's loop wrote.
_POSITION_ROW = (
    '<tr{critical_class} data-code="{data_code}">'
    '<td class="qc-nowrap">{warning}{code}</td>'
    # Only the client column gives way on a narrow screen (two lines at most, then an ellipsis);
    # the full name is in the tooltip.
    '<td class="qc-client" title="{client} · {document} · {executive}: {trader}">'
    '<span class="qc-client-name">{client}</span></td>'
    '<td class="qc-num">{usd}</td><td class="qc-num">{rate}</td><td class="qc-num">{pen}</td>'
    '<td><span class="qc-status qc-status-{status}">{status_label}</span></td>'
    '<td class="{when_class}">{when}</td></tr>\n'
)
_WARNING = '<span class="qc-warn" title="{reason}" aria-label="{critical}: {reason}">&#9888;</span> '


@register.simple_tag
def position_table_rows(rows, position):
    """The <tr> of each PositionRow (its `url` set by the view), as the position's tables show them."""
    critical = escape(pgettext("report", "Critical"))
    executive = escape(pgettext("report", "Account executive"))
    if position.is_single_day:
        when_class, when_format = "qc-nowrap", "%H:%M"
    elif position.date_from.year == position.date_to.year:
        when_class, when_format = "qc-when", "%d/%m %H:%M"
    else:
        when_class, when_format = "qc-when", "%d/%m/%y %H:%M"
    local = timezone.get_current_timezone()
    html = []
    for row in rows:
        code = escape(row.code)
        url = getattr(row, "url", None)
        html.append(
            _POSITION_ROW.format(
                data_code=code,
                critical_class=' class="qc-critical"' if row.critical else "",
                code=f'<a href="{escape(url)}">{code}</a>' if url else code,
                warning=_WARNING.format(reason=escape(row.critical_reason), critical=critical) if row.critical else "",
                client=escape(row.client),
                document=escape(row.document),
                executive=executive,
                trader=escape(row.trader),
                usd=display.money(row.usd),
                rate=display.rate(row.rate),
                pen=display.money(row.pen),
                status=escape(row.status),
                status_label=escape(row.status_label),
                when_class=when_class,
                when=row.created_at.astimezone(local).strftime(when_format),
            )
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped or ours
