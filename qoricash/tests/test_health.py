import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

BASE_DIR = Path(__file__).resolve().parents[2]


def test_health_ok_with_no_query_in_the_request_and_no_login(db, client, django_assert_num_queries, settings):
    with django_assert_num_queries(0):  # the query runs in the health thread, under its own time limit
        response = client.get("/health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "version": settings.VERSION}
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


def test_health_503_when_the_database_is_unreachable(client, settings, caplog):
    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@qoricash.pe")]
    refused = OperationalError('connection to server at "db" failed: Connection refused')
    with (
        mock.patch.object(BaseDatabaseWrapper, "cursor", side_effect=refused),
        caplog.at_level(logging.INFO),
    ):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "version": settings.VERSION}
    # One ERROR line of our own, no traceback, and no e-mail per probe (Render polls every few seconds).
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["qoricash.views"]
    assert "Connection refused" in errors[0].getMessage()
    assert mail.outbox == []


def test_health_answers_head_like_get_and_refuses_post(db, client):
    head = client.head("/health/")
    assert head.status_code == 200 and head.content == b""  # UptimeRobot's default method
    assert client.post("/health/").status_code == 405


def test_health_503_when_the_database_accepts_but_never_answers(client, settings):
    """The probe answers within HEALTH_TIMEOUT; the hung query keeps only the health thread."""
    import threading

    from qoricash import views

    settings.HEALTH_TIMEOUT = 0.2
    released = threading.Event()
    with mock.patch.object(views, "_ping_database", side_effect=lambda: released.wait(30)):
        try:
            first = client.get("/health/")
            second = client.get("/health/")  # waits behind the hung one and times out as well
        finally:
            released.set()
    assert (first.status_code, second.status_code) == (503, 503)
    assert first.json()["database"] == "error"


@pytest.mark.django_db(transaction=True)
def test_web_connections_get_a_statement_timeout_and_commands_do_not(settings):
    from django.db import connection, connections

    from qoricash import db

    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    settings.DB_STATEMENT_TIMEOUT = 7

    def show(conn):
        with conn.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return cursor.fetchone()[0]

    command_conn = connections.create_connection("default")
    assert show(command_conn) == "0"  # a management command: no limit
    command_conn.close()
    with mock.patch.object(db, "_web_process", False):
        db.bound_web_statements()
        try:
            web_conn = connections.create_connection("default")
            assert show(web_conn) == "7s"
            web_conn.close()
        finally:
            from django.db.backends.signals import connection_created

            connection_created.disconnect(dispatch_uid="qoricash.db.statement_timeout")
    assert settings.DATABASES["default"]["OPTIONS"]["connect_timeout"] == 5


@pytest.mark.parametrize(
    "database_url",
    ["sqlite:////nonexistent-dir/qoricash.sqlite3", "postgres://postgres@127.0.0.1:1/qoricash"],
    ids=["sqlite-unopenable", "postgres-refused"],
)
def test_health_503_with_a_real_unreachable_database(tmp_path, database_url):
    """No mock: a process whose database cannot be opened answers 503 instead of crashing."""
    probe = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health/');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "qoricash.settings",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "CRITICAL",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["database"] == "error"
