"""Two web instances behind a round-robin proxy behave as one: a session opened on one is valid on
the other, and the login lockout counts the failures of both (its counters live in Redis). Two
processes sending the mail queue at once deliver each message once.

What several Render instances behind its load balancer would do, on this machine: two gunicorn
processes on two ports, a small proxy sending each request to the next one, the same PostgreSQL
database and Redis. PostgreSQL only (the instances need a database other processes can open).
"""

import asyncio
import http.client
import itertools
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from qoricash.outbox.models import EmailStatus, OutboundEmail
from qoricash.outbox.queue import enqueue
from qoricash.tests.smtp_servers import Recorder

ROOT = Path(__file__).resolve().parent.parent
REDIS = ("127.0.0.1", 6379)
REDIS_DB = 9
PASSWORD = "a-strong-test-password"  # noqa: S105 - conftest's test users
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_available():
    try:
        socket.create_connection(REDIS, timeout=1).close()
        return True
    except OSError:
        return False


class RoundRobin(BaseHTTPRequestHandler):
    """Forwards every request to the next backend; remembers which one answered."""

    backends = None
    served = None
    lock = threading.Lock()

    def _forward(self):
        with self.lock:
            port = next(self.backends)
            self.served.append((port, self.command))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        upstream.close()

    do_GET = do_POST = _forward

    def log_message(self, *args):
        pass


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def site(master):
    needs_postgresql()
    if not redis_available():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    # The tests' fast hasher is not one the servers accept: store the password as production would.
    hasher = PBKDF2PasswordHasher()
    master.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    master.save(update_fields=["password"])
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
        f"{settings_dict['NAME']}",
        "DEBUG": "true",
        "SECRET_KEY": "two-instances-share-this-key-" + "x" * 40,
        "REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}",
        # Counters of their own: another run sharing this Redis must not add to them.
        "CACHE_KEY_PREFIX": f"two-instances-{uuid.uuid4().hex[:12]}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
        "CONN_MAX_AGE": "0",
        # The production limits per hour instead of per minute: a slow run cannot cross a window.
        "RATELIMIT_LOGIN_USER": "5/h",
        "RATELIMIT_LOGIN_IP": "10/h",
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [gunicorn, "qoricash.wsgi", "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null"],
            cwd=ROOT,
            env={**env, "PORT": str(port)},
        )
        for port in ports
    ]
    handler = type("Proxy", (RoundRobin,), {"backends": itertools.cycle(ports), "served": []})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        for port in ports:
            wait_for(port)
        yield f"127.0.0.1:{proxy.server_address[1]}", handler.served, ports
    finally:
        proxy.shutdown()
        proxy.server_close()
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def wait_for(port):
    for _ in range(120):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"gunicorn on {port} did not start")


class Visitor:
    """A browser: keeps its cookies, goes through the proxy."""

    def __init__(self, address):
        self.address, self.cookies = address, {}

    def request(self, method, path, form=None):
        conn = http.client.HTTPConnection(self.address, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            from urllib.parse import urlencode

            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, text

    def login(self, username, password):
        _status, page = self.request("GET", "/admin/login/")
        token = TOKEN.search(page).group(1)
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"}
        return self.request("POST", "/admin/login/?next=/admin/", form)


def test_a_session_opened_on_one_instance_is_valid_on_the_other(site, master):
    address, served, ports = site
    visitor = Visitor(address)
    status, page = visitor.login(master.username, PASSWORD)
    # Logged in: the form page came from one instance, the POST went to the other.
    assert status == 302, re.findall(r"<title>[^<]*", page)
    pages = [visitor.request("GET", "/admin/") for _ in range(4)]
    assert [status for status, _page in pages] == [200] * 4
    assert all('id="logout-form"' in page for _status, page in pages)  # the index, not the login page
    assert {port for port, _method in served} == set(ports)  # both instances answered


def test_the_login_lockout_counts_the_failures_on_both_instances(site, master, settings):
    address, served, ports = site
    visitor = Visitor(address)
    statuses = []
    for attempt in range(6):
        if attempt % 2:
            visitor.request("GET", "/health/")  # so the next POST goes to the other instance
        statuses.append(visitor.login(master.username, "wrong-password")[0])
    # Five failures per username (RATELIMIT_LOGIN_USER): spread over two instances they
    # still add up, so the sixth attempt is refused, whichever instance receives it.
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    status, _page = visitor.login(master.username, PASSWORD)
    assert status == 429  # the right password does not get through a locked username from here
    assert {port for port, method in served if method == "POST"} == set(ports)


# --- the mail queue -----------------------------------------------------------------------------------


class GatedRecorder(Recorder):
    """Answers no message until two senders have each handed one over (or WAIT seconds passed):
    the two processes are then surely sending at the same time, whichever started first."""

    WAIT = 60

    def __init__(self):
        super().__init__()
        self.peers = set()

    async def handle_DATA(self, server, session, envelope):
        self.peers.add(session.peer)
        for _ in range(self.WAIT * 20):
            if len(self.peers) >= 2:
                break
            await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def test_two_processes_sending_the_queue_deliver_each_message_exactly_once():
    needs_postgresql()
    count = 200
    ids = [
        enqueue("test.kind", to=[f"cliente{i}@example.com"], subject=f"Mensaje {i}", text="Texto", deliver=False).pk
        for i in range(count)
    ]
    recorder = GatedRecorder()
    smtp = Controller(recorder, hostname="127.0.0.1", port=free_port())
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
        f"{settings_dict['NAME']}",
        "DEBUG": "true",
        "SECRET_KEY": "two-instances-share-this-key-" + "x" * 40,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "EMAIL_TIMEOUT": str(GatedRecorder.WAIT + 30),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    command = [sys.executable, "manage.py", "send_pending_emails"]
    smtp.start()
    try:
        senders = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [sender.communicate(timeout=300) for sender in senders]
    finally:
        smtp.stop()
    assert [sender.returncode for sender in senders] == [0, 0], [err for _out, err in outputs]
    subjects = recorder.subjects()
    assert len(subjects) == count
    assert sorted(subjects) == sorted(f"Mensaje {i}" for i in range(count))
    rows = OutboundEmail.objects.filter(pk__in=ids)
    assert rows.filter(status=EmailStatus.SENT, attempts=1).count() == count
    # Both processes took part: each reports how many it sent, and together they sent them all.
    sent = [int(re.search(r"sent (\d+)", out).group(1)) for out, _err in outputs]
    assert all(n > 0 for n in sent) and sum(sent) == count, sent
