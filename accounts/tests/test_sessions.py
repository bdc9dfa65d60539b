"""Sessions end after 30 min idle and 12 h in all; a deactivated user loses access at once."""

import time

import pytest

from accounts import middleware
from accounts.audit_actions import AccountAction
from accounts.models import AuditEntry
from accounts.services import deactivate_user

INDEX = "/admin/"


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = int(time.time())

    c = Clock()
    monkeypatch.setattr(middleware, "_now", lambda: c.now)
    return c


@pytest.mark.django_db
def test_idle_session_ends_after_the_timeout(master_client, master, clock, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    assert master_client.get(INDEX).status_code == 200
    clock.now += 29 * 60
    assert master_client.get(INDEX).status_code == 200  # activity moves the idle window
    clock.now += 29 * 60
    assert master_client.get(INDEX).status_code == 200
    clock.now += 31 * 60
    response = master_client.get(INDEX)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert AuditEntry.objects.filter(action=AccountAction.SESSION_EXPIRED, actor=master, message="idle").exists()


@pytest.mark.django_db
def test_session_ends_after_the_absolute_lifetime_even_when_active(master_client, clock, settings):
    settings.SESSION_COOKIE_AGE = 12 * 3600
    assert master_client.get(INDEX).status_code == 200
    for _ in range(24):  # a request every 29 minutes for 11.6 hours
        clock.now += 29 * 60
        assert master_client.get(INDEX).status_code == 200
    clock.now += 29 * 60  # 12.08 h after the first request
    assert master_client.get(INDEX).status_code == 302


@pytest.mark.django_db
def test_timeouts_are_configurable(master_client, clock, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    assert master_client.get(INDEX).status_code == 200
    clock.now += 61
    assert master_client.get(INDEX).status_code == 302


@pytest.mark.django_db
def test_deactivated_user_loses_access_on_the_next_request(master_client, master):
    assert master_client.get("/admin/accounts/user/").status_code == 200
    deactivate_user(master)
    response = master_client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_session_settings_defaults(settings):
    from django.conf import settings as live

    assert live.SESSION_IDLE_TIMEOUT == 30 * 60
    assert live.SESSION_COOKIE_AGE == 12 * 3600
    assert live.SESSION_COOKIE_HTTPONLY is True
    assert "accounts.middleware.SessionTimeoutMiddleware" in live.MIDDLEWARE
    i = live.MIDDLEWARE.index
    assert i("django.contrib.messages.middleware.MessageMiddleware") < i("accounts.middleware.SessionTimeoutMiddleware")
