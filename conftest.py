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
