import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import formats, translation

from qoricash import display

UTC = dt.UTC
LIMA = ZoneInfo("America/Lima")


@pytest.fixture(autouse=True)
def _spanish():
    with translation.override("es-pe"):
        yield


def test_datetime_is_local_time_with_es_pe_format():
    # 02:07 UTC on 1 December is still 30 November, 21:07, in Lima (UTC-5).
    value = dt.datetime(2026, 12, 1, 2, 7, 9, tzinfo=UTC)
    assert display.datetime(value) == "30/11/2026 21:07"
    assert display.datetime(value, seconds=True) == "30/11/2026 21:07:09"
    assert display.date(value) == "30/11/2026"


def test_plain_date_and_empty_values():
    assert display.date(dt.date(2026, 1, 5)) == "05/01/2026"
    assert display.date(None) == "—"
    assert display.datetime(None, empty="") == ""


@pytest.mark.parametrize("language", ["es-pe", "es", "en"])
def test_dates_read_as_djangos_own_formatting(language):
    # display writes the simple formats itself (once per list row): the text must be Django's.
    values = [
        dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        dt.datetime(987, 12, 31, 23, 59, 59, tzinfo=LIMA),
        dt.datetime(2026, 11, 30, 19, 7),
        dt.date(2026, 3, 9),
    ]
    with translation.override(language):
        for value in values:
            local = display._local(value)
            assert display.date(value) == formats.date_format(local, "SHORT_DATE_FORMAT")
            if isinstance(value, dt.datetime):
                assert display.datetime(value) == formats.date_format(local, "SHORT_DATETIME_FORMAT")
                assert display.datetime(value, seconds=True) == formats.date_format(local, "d/m/Y H:i:s")


def test_formats_beyond_the_simple_specifiers_are_djangos():
    value = dt.datetime(2026, 1, 2, 3, 4, 5)
    assert display._template("d/m/Y H:i") == "{0.day:02d}/{0.month:02d}/{0.year:04d} {0.hour:02d}:{0.minute:02d}"
    for pattern in ("j \\d\\e F \\d\\e Y", "N j, Y, P", "{d}"):
        assert display._format(value, pattern) == formats.date_format(value, pattern)
    with pytest.raises(TypeError):  # Django's refusal of a time in a date's format
        display._format(dt.date(2026, 1, 2), "d/m/Y H:i")


def test_money_with_and_without_currency():
    assert display.money(Decimal("12345.675")) == "12,345.68"
    assert display.money(Decimal("3750"), "PEN") == "S/ 3,750.00"
    assert display.money("1000000.5", "USD") == "US$ 1,000,000.50"
    assert display.money(None, "USD") == "—"
    assert display.money(Decimal("-20"), "PEN") == "S/ -20.00"


def test_money_refuses_float():
    with pytest.raises(TypeError):
        display.money(1.1)


def test_rate_has_four_decimals():
    assert display.rate(Decimal("3.75")) == "3.7500"
    assert display.rate("3.71255") == "3.7126"
    assert display.rate(None) == "—"


def test_currency_label_is_built_once():
    assert display.currency_label("PEN") == "S/"
    assert display.currency_label("USD") == "US$"
    assert display.currency_label("EUR") == "EUR"
    assert display.currency_label(None) == ""


def test_filesize_uses_the_decimal_point():
    assert display.filesize(512) == "512\xa0bytes"
    assert display.filesize(1536) == "1.5\xa0KB"
    assert display.filesize(None) == "—"


def test_template_filters_use_the_same_functions():
    out = Template(
        "{% load display %}{{ a|money:'USD' }}|{{ r|rate }}|"
        "{{ d|local_datetime }}|{{ d|local_date }}|{{ c|currency_label }}"
    ).render(
        Context(
            {"a": Decimal("1234.5"), "r": Decimal("3.7"), "d": dt.datetime(2026, 11, 30, 19, 7, tzinfo=UTC), "c": "PEN"}
        )
    )
    assert out == "US$ 1,234.50|3.7000|30/11/2026 14:07|30/11/2026|S/"
