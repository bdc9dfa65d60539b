"""Bad report parameters: far-off dates, junk and over-long periods are a Spanish message, never a 500."""

import datetime as dt
import io
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from reports import services, views

from .conftest import lima

pytestmark = pytest.mark.django_db
POSITION = reverse("admin:reports_position")
POSITION_XLSX = reverse("admin:reports_position_xlsx")
TODAY = dt.date(2026, 11, 20)


def test_day_bounds_refuses_dates_outside_the_window_instead_of_overflowing():
    with pytest.raises(ValidationError, match="fuera de los años 2000 a 2100"):
        services.day_bounds(dt.date(9999, 12, 31))
    with pytest.raises(ValidationError):
        services.day_bounds(dt.date(2026, 11, 20), dt.date(9999, 12, 31))
    with pytest.raises(ValidationError):
        services.day_bounds(dt.date(1, 1, 1))
    assert services.day_bounds(dt.date(2100, 12, 31))[1] == lima(2101, 1, 1, 0)
    assert services.day_bounds(dt.date(2000, 1, 1))[0] == lima(2000, 1, 1, 0)


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_parse_date_refuses_years_outside_2000_to_2100(value):
    with pytest.raises(ValidationError) as exc:
        services.parse_date(value, "Fecha")
    shown = "/".join(reversed(value.split("-")))  # the date as people read it, never ISO
    assert exc.value.messages == [f"Fecha: {shown} está fuera de los años 2000 a 2100."]


def test_parse_date_does_not_repeat_a_huge_value():
    with pytest.raises(ValidationError) as exc:
        services.parse_date("x" * 10_000, "Fecha")
    [message] = exc.value.messages
    assert len(message) < 150 and "…" in message


@pytest.mark.parametrize(
    "query, message",
    [
        ({"date": "9999-12-31"}, "Fecha: 31/12/9999 está fuera de los años 2000 a 2100."),
        ({"from": "2026-11-01", "to": "9999-12-31"}, "Hasta: 31/12/9999 está fuera de los años 2000 a 2100."),
        ({"from": "0001-01-01", "to": "2026-11-01"}, "Desde: 01/01/0001 está fuera de los años 2000 a 2100."),
        (
            {"from": "2025-01-01", "to": "2026-01-02"},
            "El periodo del 01/01/2025 al 02/01/2026 abarca 367 días; un reporte abarca como máximo 366 días.",
        ),
        ({"from": "2000-01-01", "to": "2100-12-31"}, "abarca como máximo 366 días"),
    ],
)
def test_position_far_off_dates_and_long_periods_are_a_spanish_message(master_client, query, message):
    response = master_client.get(POSITION, query)
    assert response.status_code == 200
    assert message in response.content.decode()
    # The screen falls back to today; the Excel link goes back to the screen with the message.
    assert response.context["position"].date_from == services.lima_today()
    response = master_client.get(POSITION_XLSX, query, follow=True)
    assert response.redirect_chain == [(POSITION, 302)]
    assert message in response.content.decode()


def test_a_period_of_exactly_366_days_is_allowed(master_client, make_op):
    make_op("buy", "100.00", at=lima(2024, 1, 1, 9))
    make_op("buy", "200.00", at=lima(2024, 12, 31, 9))
    response = master_client.get(POSITION, {"from": "2024-01-01", "to": "2024-12-31"})
    assert 'data-figure="buy-usd">300.00<' in response.content.decode()
    assert "abarca" not in response.content.decode()
    assert master_client.get(POSITION_XLSX, {"from": "2024-01-01", "to": "2024-12-31"}).status_code == 200


def test_period_from_query_limits():
    assert views.period_from_query({"from": "2024-01-01", "to": "2024-12-31"}, TODAY)[2] is None
    start, end, error = views.period_from_query({"from": "2024-01-01", "to": "2025-01-01"}, TODAY)
    assert (start, end) == (TODAY, TODAY) and "367 días" in error
    start, end, error = views.period_from_query({"date": "9999-12-31"}, TODAY)
    assert (start, end) == (TODAY, TODAY) and "fuera de los años" in error


# --- Fuzzing the GET parameters of the position and its Excel file ------------------------------

VALUES = [
    "",
    " ",
    "2026-11-20",
    "2026-11-18",
    "2024-02-29",
    "2000-01-01",
    "2100-12-31",
    "1999-12-31",
    "2101-01-01",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2026-13-01",
    "20261120",
    "2026-W47-5",
    "2026-11-20T10:00",
    "2026-11-20\x00",
    "\x00",
    "２０２６-11-20",
    "-1",
    "99999-01-01",
    "nope",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%",
    "x" * 5000,
]
KEYS = ["date", "from", "to", "date", "from", "to", "junk", "o", "p", "q", "_changelist_filters", "date__gte"]


def fuzz_queries(count, seed=20261120):
    rng = random.Random(seed)
    for _ in range(count):
        yield [(rng.choice(KEYS), rng.choice(VALUES)) for _ in range(rng.randint(0, 4))]


def test_fuzzed_position_parameters_never_fail(master_client, make_op):
    """Any mix of date / from / to / unknown keys, with any value: a page or a redirect, never a 500.

    A control character anywhere in the query is refused before the view (400, the Spanish page).
    """
    make_op("buy", "100.00", at=lima(2026, 11, 20, 9))
    for pairs in [*fuzz_queries(120), [("date", v) for v in VALUES], [("from", v) for v in VALUES]]:
        query = {}
        for key, value in pairs:
            query.setdefault(key, []).append(value)
        response = master_client.get(POSITION, query)
        if any(ch in value for values in query.values() for value in values for ch in "\x00\x1f"):
            assert response.status_code == 400 and "Solicitud incorrecta" in response.content.decode(), query
            continue
        assert response.status_code == 200, query
        position = response.context["position"]
        assert services.MIN_YEAR <= position.date_from.year <= position.date_to.year <= services.MAX_YEAR
        assert (position.date_to - position.date_from).days < services.POSITION_MAX_DAYS
        response = master_client.get(POSITION_XLSX, query)
        assert response.status_code in (200, 302), query
        if response.status_code == 200:
            b"".join(response.streaming_content)


# --- Commands -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command, args, message",
    [
        ("export_position", ["--date", "9999-12-31"], "--date: 31/12/9999 está fuera de los años 2000 a 2100"),
        ("export_position", ["--date", "1999-12-31"], "fuera de los años 2000 a 2100"),
        (
            "export_history",
            ["--from", "9999-12-31", "--to", "9999-12-31"],
            "--from: 31/12/9999 está fuera de los años 2000 a 2100",
        ),
        ("export_history", ["--from", "2026-11-01", "--to", "9999-12-31"], "--to: 31/12/9999 está fuera"),
        ("export_history", ["--from", "0001-01-01", "--to", "2026-11-01"], "--from: 01/01/0001 está fuera"),
    ],
)
def test_commands_refuse_far_off_dates_with_a_command_error(command, args, message, tmp_path):
    target = tmp_path / "out.xlsx"
    with pytest.raises(CommandError, match=message):
        call_command(command, *args, "--output", str(target), stdout=io.StringIO())
    assert not target.exists()
