"""The only place that rounds money. Amounts have 2 decimals, rates 4, always ROUND_HALF_UP."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
RATE_STEP = Decimal("0.0001")
ZERO = Decimal("0.00")


def to_decimal(value) -> Decimal:
    """Convert user or database input to Decimal without ever passing through float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("Money must never be a float")
    try:
        return Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"Not a number: {value!r}") from exc


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
