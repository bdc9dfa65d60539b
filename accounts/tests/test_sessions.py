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


# --- sessions end for good when access changes ------------------------------------------------------
def _logged_in(client):
    response = client.get(INDEX)
    return response.status_code == 200


@pytest.mark.django_db
def test_reactivating_a_user_does_not_revive_the_sessions_from_before(trader_client, trader):
    assert _logged_in(trader_client)
    deactivate_user(trader)
    trader.is_active = True
    trader.save()
    assert not _logged_in(trader_client)
    assert trader_client.get(INDEX)["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_a_master_changing_the_roles_ends_the_users_sessions(client, master, trader):
    from django.contrib.auth.models import Group
    from django.test import Client

    trader_browser = Client()
    trader_browser.force_login(trader)
    assert _logged_in(trader_browser)
    client.force_login(master)
    page = client.get(f"/admin/accounts/user/{trader.pk}/change/")
    data = {
        "username": trader.username,
        "first_name": trader.first_name,
        "last_name": trader.last_name,
        "email": trader.email,
        "dni": "",
        "is_active": "on",
        "groups": [Group.objects.get(name="Operador").pk],
    }
    assert page.status_code == 200
    assert client.post(f"/admin/accounts/user/{trader.pk}/change/", data).status_code == 302
    assert list(trader.groups.values_list("name", flat=True)) == ["Operador"]
    assert not _logged_in(trader_browser)
    assert _logged_in(client)  # the Master's own session is untouched


@pytest.mark.django_db
def test_removing_a_user_from_a_role_on_the_role_side_ends_his_sessions(trader_client, trader, operador):
    from django.contrib.auth.models import Group
    from django.test import Client

    operador_browser = Client()
    operador_browser.force_login(operador)
    Group.objects.get(name="Trader").user_set.remove(trader)
    assert not _logged_in(trader_client)
    assert _logged_in(operador_browser)
    Group.objects.get(name="Operador").user_set.clear()
    assert not _logged_in(operador_browser)


@pytest.mark.django_db
def test_other_changes_keep_the_session(trader_client, trader):
    trader.first_name = "Otro"
    trader.save()
    trader.groups.set(trader.groups.all())  # no change at all
    assert _logged_in(trader_client)


@pytest.mark.django_db
def test_sessions_opened_before_generations_existed_stay_valid(trader):
    from django.contrib.auth.base_user import AbstractBaseUser

    trader.session_generation = 0  # as every user is right after the migration
    assert trader.get_session_auth_hash() == AbstractBaseUser._get_session_auth_hash(trader)
    trader.session_generation = 1
    assert trader.get_session_auth_hash() != AbstractBaseUser._get_session_auth_hash(trader)
