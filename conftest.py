"""Fixtures shared by every app's tests: one user per role, logged-in clients, fast hashing."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's async guard would refuse ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Background tasks run at once, inside the test (still after commit when enqueued on commit).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Login rate-limit counters live in the process-wide LocMemCache: every test starts from zero,
    # so many logins from 127.0.0.1 across tests never add up to a 429.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _close_unread_file_responses(monkeypatch):
    """Close the files of FileResponses a test did not read to the end.

    Django's test client closes a streamed response only once its content is consumed; a test that
    checks only the status or the headers would otherwise leave the file open until garbage
    collection, where its ResourceWarning fails whichever test happens to run then.
    """
    from django.http import FileResponse

    opened = []
    original = FileResponse.__init__

    def tracking(self, *args, **kwargs):
        original(self, *args, **kwargs)
        # Kept now: the test client then replaces the streaming content (and file_to_stream) with
        # its own wrapper.
        if self.file_to_stream is not None:
            opened.append(self.file_to_stream)

    monkeypatch.setattr(FileResponse, "__init__", tracking)
    yield
    # Only the files: response.close() would also send request_finished, which closes the test's
    # database connection.
    for file in opened:
        file.close()


@pytest.fixture(scope="session", autouse=True)
def _live_server_keeps_the_shared_connection():
    """The live server's request threads must not close the test database's shared connection.

    With SQLite in memory, every request thread of the live server uses the test thread's connection.
    Django closes "its" connections after each request; a request thread that ends late (a browser
    keep-alive socket closed after its test) then touches a connection that is no longer shared with
    it and dies with DatabaseError in the background. Closing it would do nothing anyway (an
    in-memory database is never closed), so those threads leave the shared connections alone.
    """
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import connections

    def close_own_connections(server):
        shared = server.connections_override or {}
        for conn in connections.all(initialized_only=True):
            if shared.get(conn.alias) is not conn:
                conn.close()

    original = ThreadedWSGIServer._close_connections
    ThreadedWSGIServer._close_connections = close_own_connections
    yield
    ThreadedWSGIServer._close_connections = original


@pytest.fixture
def master(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="m_master", role="Master")


@pytest.fixture
def operador(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="o_operador", role="Operador")


@pytest.fixture
def trader(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="t_trader", role="Trader")


@pytest.fixture
def other_trader(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="t_other", role="Trader")


@pytest.fixture
def officer(db):
    """The compliance officer (Oficial de Cumplimiento)."""
    from accounts.tests.factories import UserFactory

    return UserFactory(username="c_officer", role="Oficial de Cumplimiento")


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def master_client(client, master):
    return _client_for(client, master)


@pytest.fixture
def operador_client(client, operador):
    return _client_for(client, operador)


@pytest.fixture
def trader_client(client, trader):
    return _client_for(client, trader)


@pytest.fixture
def officer_client(client, officer):
    return _client_for(client, officer)


# --- Browser tests (Playwright driving Debian's Chromium; never a downloaded browser) -------------
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def pytest_configure(config):
    # pytest-base-url (pulled in by pytest-playwright) defines its session fixture in a way pytest 9
    # deprecates; nothing of ours to fix, so keep it out of every report.
    config.addinivalue_line(
        "filterwarnings", "ignore:Session-scoped fixtures defined as instance methods:pytest.PytestRemovedIn10Warning"
    )


def pytest_collection_modifyitems(config, items):
    """Tag browser tests for the junit report (.ci/run fails if one was skipped); skip them without Chromium."""
    have_chromium = os.path.exists(CHROMIUM)
    skip = pytest.mark.skip(reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.user_properties.append(("browser", "1"))
            if not have_chromium:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "es-PE",
        "timezone_id": "America/Lima",
        "viewport": {"width": 1400, "height": 900},
    }


@pytest.fixture
def admin_login(live_server):
    """admin_login(page, username, password): log in through the real admin login form."""
    from django.core.cache import cache

    # The login form is rate limited per IP (every browser test comes from 127.0.0.1) and the
    # counters live in the process-wide LocMemCache: start each test with fresh counters.
    cache.clear()

    def login(page, username, password="a-strong-test-password"):  # noqa: S107 (the fixtures' test password)
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_load_state()
        return page

    return login


@pytest.fixture
def screenshot_dir():
    """test-artifacts/screenshots/ (git-ignored): look at them after a run."""
    from pathlib import Path

    path = Path(__file__).parent / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
