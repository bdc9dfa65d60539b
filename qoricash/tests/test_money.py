from decimal import Decimal

import pytest

from qoricash import money


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.005", "1.01"), ("1.004999", "1.00"), ("-1.005", "-1.01"), ("2.675", "2.68"), (Decimal("0.125"), "0.13")],
)
def test_cents_round_half_up(value, expected):
    assert money.cents(value) == Decimal(expected)


def test_rates_round_half_up_to_four_places():
    assert money.rate("3.71235") == Decimal("3.7124")
    assert money.rate("3.71234999") == Decimal("3.7123")


def test_percent_rounds_half_up_to_one_place():
    assert money.percent("62.45") == Decimal("62.5")  # banker's rounding would give 62.4
    assert money.percent(Decimal("99.94")) == Decimal("99.9")


def test_floats_are_refused_and_text_is_parsed():
    with pytest.raises(TypeError):
        money.to_decimal(3.7)
    assert money.to_decimal("12,345.60") == Decimal("12345.60")
    with pytest.raises(ValueError):
        money.to_decimal("abc")


def test_display_uses_thousands_separators():
    assert money.fmt("12345.6") == "12,345.60"
    assert money.fmt("3.7", places=4) == "3.7000"


ODD = ["１００", "٥٠٠", "1_000", "1E5", "３.７", "NaN", "Infinity", "1.2.3", "", "1 000", "1" * 41]


@pytest.mark.parametrize("text", ODD)
def test_parse_refuses_what_no_one_types(text):
    for thousands in (False, True):
        with pytest.raises(ValueError):
            money.parse(text, thousands=thousands)


def test_parse_takes_thousands_commas_only_when_asked_and_only_in_threes():
    assert money.parse(" 1000.50 ") == Decimal("1000.50")
    assert money.parse("1,000.50", thousands=True) == Decimal("1000.50")
    for text in ("1,000.50", "1,00"):
        with pytest.raises(ValueError):
            money.parse(text, thousands=text == "1,00")
    assert money.to_decimal("12,345.67") == Decimal("12345.67")
    with pytest.raises(ValueError):
        money.to_decimal("１２")
