"""The only place that rounds money. Amounts have 2 decimals, rates 4, always ROUND_HALF_UP."""

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RATE_STEP = Decimal("0.0001")
ZERO = Decimal("0.00")

# What staff type: ASCII digits and one decimal point. Python's Decimal() would also take full-width
# and Arabic-Indic digits, "1_000", "1E5", "NaN" and "Infinity"; none of them is an amount anyone means.
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
# The same with Peru's thousands commas (12,345.67), only in groups of three.
_GROUPED = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+", re.ASCII)


def parse(text, *, thousands=False) -> Decimal:
    """A typed number → Decimal; ValueError unless it is ASCII digits with at most one decimal point
    (and, with `thousands`, commas grouping the integer part in threes)."""
    text = str(text).strip()
    if len(text) > 40 or not (_GROUPED if thousands else _PLAIN).fullmatch(text):
        raise ValueError(f"Not a number: {text!r}")
    return Decimal(text.replace(",", ""))


def to_decimal(value) -> Decimal:
    """Convert user or database input to Decimal without ever passing through float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("Money must never be a float")
    return parse(value, thousands=True)


def cents(value) -> Decimal:
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def rate(value) -> Decimal:
    return to_decimal(value).quantize(RATE_STEP, rounding=ROUND_HALF_UP)


def percent(value) -> Decimal:
    """A percentage with one decimal (goal progress), HALF_UP like every other figure."""
    return to_decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def fmt(value, places=2) -> str:
    """Display with thousands separators, as Peruvian staff read amounts: 12,345.67."""
    q = CENT if places == 2 else RATE_STEP
    return f"{to_decimal(value).quantize(q, rounding=ROUND_HALF_UP):,}"
