"""Logging as configured in settings.LOGGING: one line per event on stdout, errors e-mailed to ADMINS."""

import io
import logging
import re

import pytest
from django.core import mail

LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d "  # ISO time with milliseconds and offset
    r"(?P<level>[A-Z]+) (?P<logger>[\w.]+) \[(?P<rid>[\w-]+)\] (?P<message>.*)$"
)


@pytest.fixture
def stdout_lines():
    """Swap the stream of the configured `stdout` handler (same formatter and filters) for a buffer."""
    handler = next(h for h in logging.getLogger("django.request").handlers if isinstance(h, logging.StreamHandler))
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    yield lambda: buffer.getvalue().splitlines()
    handler.setStream(old)


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.mark.django_db
def test_request_events_carry_time_level_logger_and_request_id(client, stdout_lines, behind_proxy):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="abc123def4567890")
    assert response["X-Request-ID"] == "abc123def4567890"
    lines = stdout_lines()
    assert len(lines) == 1
    match = LINE.match(lines[0])
    assert match, lines[0]
    assert match["level"] == "WARNING"
    assert match["logger"] == "django.request"
    assert match["rid"] == "abc123def4567890"
    assert match["message"] == "Not Found: /no-such-page/"


@pytest.mark.django_db
def test_every_request_gets_an_id_when_the_proxy_sends_none(client, stdout_lines):
    response = client.get("/no-such-page/")
    rid = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", rid)
    assert LINE.match(stdout_lines()[0])["rid"] == rid


PROXY_IDS = [
    "3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e3f",  # a UUID as Render sends it
    "3f2b8c1e9d4a4f6b8e2c1a7d5b9c0e3f",  # the same without hyphens
    "0123456789ABCDEF",  # 16 hex digits, the shortest accepted
    "a" * 64,  # the longest
]
NOT_PROXY_IDS = [
    "x; rm -rf /",
    "ａｂｃ１２３",
    "abc²",
    "a" * 65,
    "a" * 15,
    "imp-test-42",
    "ghijklmnopqrstuv",  # 16 characters, not hex
    "3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e3",  # a UUID one digit short
    "3f2b8c1e-9d4a4f6b-8e2c-1a7d5b9c0e3f",  # hyphens in the wrong places
]


@pytest.mark.django_db
@pytest.mark.parametrize("forged", NOT_PROXY_IDS)
def test_a_malformed_request_id_from_the_proxy_is_replaced(client, forged, behind_proxy):
    response = client.get("/health/", HTTP_X_REQUEST_ID=forged)
    assert re.fullmatch(r"[0-9a-f]{16}", response["X-Request-ID"])


@pytest.mark.django_db
@pytest.mark.parametrize("rid", PROXY_IDS)
def test_the_proxy_request_id_is_kept(client, rid, behind_proxy, stdout_lines):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID=rid)
    assert response["X-Request-ID"] == rid
    assert LINE.match(stdout_lines()[0])["rid"] == rid


@pytest.mark.django_db
@pytest.mark.parametrize("rid", PROXY_IDS)
def test_without_a_trusted_proxy_the_client_request_id_is_ignored(client, settings, rid, stdout_lines):
    # Nothing in front of the app: the header can only be the client's, however well formed.
    settings.TRUSTED_PROXY_COUNT = 0
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID=rid)
    generated = response["X-Request-ID"]
    assert generated != rid and re.fullmatch(r"[0-9a-f]{16}", generated)
    assert LINE.match(stdout_lines()[0])["rid"] == generated


@pytest.mark.django_db
def test_newlines_cannot_split_or_forge_log_lines(client, stdout_lines):
    client.get("/a%0A2026-01-01T00:00:00.000-05:00 INFO fake [x] forged/")
    lines = stdout_lines()
    assert len(lines) == 1
    assert "\\n2026-01-01" in lines[0]


def test_a_traceback_stays_on_one_line(stdout_lines):
    log = logging.getLogger("qoricash.tests")
    try:
        raise ValueError("bad rate")
    except ValueError:
        log.exception("could not save")
    lines = stdout_lines()
    assert len(lines) == 1
    match = LINE.match(lines[0])
    assert match["level"] == "ERROR" and match["rid"] == "-"
    assert match["message"].startswith("could not save\\nTraceback (most recent call last):")
    assert match["message"].endswith("ValueError: bad rate")


@pytest.fixture
def failing_view(settings, client):
    settings.ROOT_URLCONF = "qoricash.tests.error_urls"
    settings.ADMINS = [("Operaciones", "ops@qoricash.pe")]
    client.raise_request_exception = False
    return client


@pytest.mark.django_db
def test_production_errors_are_emailed_to_admins(failing_view, settings, stdout_lines, behind_proxy):
    settings.DEBUG = False
    response = failing_view.get("/fail/500/", HTTP_X_REQUEST_ID="5000000000abcdef")
    assert response.status_code == 500
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@qoricash.pe"]
    assert message.subject.startswith("[QoriCash] ERROR")
    assert "Internal Server Error: /fail/500/" in message.subject
    assert "RuntimeError at /fail/500/" in message.body  # the full report goes by e-mail...
    assert "Traceback" in message.body
    # ...and the same event is one line on stdout, findable by the id printed on the 500 page.
    lines = [line for line in stdout_lines() if "Internal Server Error" in line]
    assert len(lines) == 1 and LINE.match(lines[0])["rid"] == "5000000000abcdef"
    assert "Referencia para soporte: 5000000000abcdef" in response.content.decode()


@pytest.mark.django_db
def test_no_error_mail_in_development(failing_view, settings):
    settings.DEBUG = True
    failing_view.get("/fail/500/")
    assert mail.outbox == []


@pytest.mark.django_db
def test_client_errors_are_not_emailed(failing_view, settings):
    settings.DEBUG = False
    failing_view.get("/fail/404/")
    failing_view.get("/fail/403/")
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_403_is_one_info_line_with_user_path_and_request_id(trader_client, stdout_lines, behind_proxy):
    response = trader_client.get("/admin/accounts/auditentry/", HTTP_X_REQUEST_ID="4030000000abcdef")
    assert response.status_code == 403
    lines = [line for line in stdout_lines() if "django.request" in line]
    assert len(lines) == 1, lines
    match = LINE.match(lines[0])
    assert match["level"] == "INFO" and match["rid"] == "4030000000abcdef"
    assert match["message"] == "Forbidden: user=t_trader path=/admin/accounts/auditentry/"
    assert "Traceback" not in lines[0]
