"""The login lockout survives worker recycling and a reload: a real gunicorn counting in the local Redis.

The attack it answers: after 5 bad passwords, enough cheap requests made gunicorn recycle its worker
(max_requests) and the in-process counters started from zero.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

REDIS_DB_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
ROOT = Path(__file__).resolve().parents[2]


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_DB_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_DB_URL}")
    return client


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(base, process, deadline_s=60):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("gunicorn stopped")
        try:
            if requests.get(f"{base}/health/", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not answer")


def _login(session, base, username, password):
    page = session.get(f"{base}/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{base}/admin/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"},
        headers={"Referer": f"{base}/admin/login/"},
        allow_redirects=False,
        timeout=10,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_bad_passwords_stay_locked_after_1500_requests_and_a_reload(settings, tmp_path):
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from accounts.tests.factories import UserFactory

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the server process must see the test's committed user")
    redis = _redis_or_skip()
    # Counters of their own: another run sharing this Redis must not add to them.
    prefix = f"lockout-{uuid.uuid4().hex[:12]}"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = UserFactory(username="trader2", role="Trader")
    user.password = make_password("a-strong-test-password")
    user.save(update_fields=["password"])

    db = connection.settings_dict
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": REDIS_DB_URL,
        "CACHE_KEY_PREFIX": prefix,
        "DEBUG": "true",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_MAX_REQUESTS": "300",
        "GUNICORN_MAX_REQUESTS_JITTER": "0",
        "CONN_MAX_AGE": "60",
        # Day-long windows: the whole test sits inside one (a 1-minute window could end mid-test and
        # legitimately let the next attempt through).
        "RATELIMIT_LOGIN_USER": "5/d",
        "RATELIMIT_LOGIN_IP": "100/d",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        gunicorn = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "qoricash.wsgi", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base, gunicorn)
        attacker = requests.Session()
        for attempt in range(5):
            assert _login(attacker, base, "trader2", f"wrong-{attempt}-password").status_code == 200
        assert _login(attacker, base, "trader2", "wrong-6-password").status_code == 429

        health = requests.Session()
        for _ in range(1500):
            assert health.get(f"{base}/health/", timeout=10).status_code == 200
        gunicorn.send_signal(signal.SIGHUP)
        time.sleep(1)  # let the master replace its worker before asking again
        _wait_until_up(base, gunicorn)

        assert _login(attacker, base, "trader2", "a-strong-test-password").status_code == 429
        assert "Autorestarting worker" in log.read_text()  # max_requests really recycled the worker
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        for key in redis.scan_iter(f"{prefix}:*"):
            redis.delete(key)
