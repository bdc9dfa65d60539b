"""The one place that turns values into the text people read: dates, money, rates, sizes, currencies.

Admin columns, custom views, Excel sheets and e-mails all call these, so a figure reads the same
everywhere. Dates go through django.utils.formats with the es_PE formats (qoricash/formats/es_PE),
always in the local time zone; numbers through qoricash.money, which owns the rounding.
"""

import datetime as _dt
import functools

from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone

from qoricash import money as _money

EMPTY = "—"

# Currency codes are stored as ISO codes ("PEN", "USD"); people read the symbol.
CURRENCY_LABELS = {"PEN": "S/", "USD": "US$"}

# Event logs need the second to order what happened within one minute.
_DATETIME_SECONDS_FORMAT = "d/m/Y H:i:s"


def _local(value):
    if isinstance(value, _dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


# What django.utils.dateformat writes for the specifiers our formats use, as str.format fields.
_FIELDS = {
    "d": "{0.day:02d}",
    "m": "{0.month:02d}",
    "Y": "{0.year:04d}",
    "H": "{0.hour:02d}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}
_TIME_SPECIFIERS = frozenset("His")


@functools.lru_cache(maxsize=64)
def _template(pattern):
    """A date format such as "d/m/Y H:i" as one str.format template, or None when it uses anything
    else than the specifiers above and punctuation (Django's formatter then writes it). A list
    formats a date on every row: Django parses the format again each time."""
    out = []
    for char in pattern:
        if char in _FIELDS:
            out.append(_FIELDS[char])
        elif char.isalpha() or char == "\\":
            return None
        else:
            out.append(char.replace("{", "{{").replace("}", "}}"))
    return "".join(out)


def _format(value, format_name):
    pattern = formats.get_format(format_name)
    template = _template(pattern)
    dated = isinstance(value, _dt.datetime) or (
        # A date with a time specifier is Django's error to raise.
        isinstance(value, _dt.date) and not _TIME_SPECIFIERS.intersection(pattern)
    )
    if template is None or not dated:
        return formats.date_format(value, pattern)
    return template.format(value)


def date(value, *, empty=EMPTY) -> str:
    """30/11/2026 (a datetime is first moved to local time, so late evening stays on its own day)."""
    if value is None or value == "":
        return empty
    return _format(_local(value), "SHORT_DATE_FORMAT")


def datetime(value, *, seconds=False, empty=EMPTY) -> str:
    """30/11/2026 14:07 in local time (30/11/2026 14:07:09 with `seconds`)."""
    if value is None or value == "":
        return empty
    fmt = _DATETIME_SECONDS_FORMAT if seconds else "SHORT_DATETIME_FORMAT"
    return _format(_local(value), fmt)


def currency_label(code) -> str:
    """'S/' for PEN, 'US$' for USD; an unknown code is shown as stored."""
    if code is None:
        return ""
    return CURRENCY_LABELS.get(str(code), str(code))


def money(amount, currency=None, *, empty=EMPTY) -> str:
    """12,345.67, or 'US$ 12,345.67' with a currency code."""
    if amount is None or amount == "":
        return empty
    text = _money.fmt(amount)
    return f"{currency_label(currency)} {text}" if currency else text


def rate(value, *, empty=EMPTY) -> str:
    """An exchange rate with its 4 decimals: 3.7500."""
    if value is None or value == "":
        return empty
    return _money.fmt(value, places=4)


def filesize(size, *, empty=EMPTY) -> str:
    """'12.3 KB': Django's filesizeformat, with the es_PE decimal point."""
    if size is None:
        return empty
    return str(filesizeformat(size))


def download_name(what, extension, day=None) -> str:
    """The one pattern of the files we hand out: QoriCash_<What>_<dd-mm-aaaa>.<extension>.

    `what` is the Spanish name of the content ("Clientes", "Historial de operaciones"); spaces become
    underscores so the name survives every browser and e-mail client. `day`: the date the file is
    about (a report's day), today's local date by default.
    """
    stamp = formats.date_format(day or timezone.localdate(), "d-m-Y")
    return f"QoriCash_{'_'.join(str(what).split())}_{stamp}.{extension}"


# Company forms stay in capitals ("S.A.C."); particles inside a name stay lower case ("de la").
_LEGAL_FORMS = {"SAC", "SA", "SAA", "SRL", "EIRL", "SCRL", "SCS", "SAS"}
_PARTICLES = {"de", "del", "la", "las", "los", "y", "e", "da", "di", "van", "von"}


def _cap(word):
    return "'".join(p[:1].upper() + p[1:].lower() for p in word.split("'"))


def name_case(text) -> str:
    """A name as people write it: 'LUCÍA FERNANDA' → 'Lucía Fernanda', 'FARMACIAS SALUD TOTAL
    S.A.C.' → 'Farmacias Salud Total S.A.C.', 'MARÍA DE LA CRUZ' → 'María de la Cruz'."""
    words = str(text or "").split()
    out = []
    for i, word in enumerate(words):
        bare = word.strip(".,;").replace(".", "").upper()
        if bare in _LEGAL_FORMS or ("." in word and all(len(p) <= 1 for p in word.strip(",;").split("."))):
            out.append(word.upper())
        elif i and word.lower() in _PARTICLES:
            out.append(word.lower())
        else:
            out.append("-".join(_cap(part) for part in word.split("-")))
    return " ".join(out)
