"""Security headers, CSRF, escaping of user input, production settings."""

import os
import subprocess
import sys

import pytest
from django.test import Client

from accounts import audit
from accounts.audit_actions import AccountAction
from accounts.tests.factories import UserFactory

XSS = '<script>alert("x")</script>'


@pytest.mark.django_db
def test_security_headers_on_admin_pages(master_client):
    response = master_client.get("/admin/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_login_and_password_pages_are_not_framable(client):
    for url in ("/admin/login/", "/accounts/password_reset/"):
        assert client.get(url)["X-Frame-Options"] == "DENY"


def test_production_settings_turn_on_hsts_and_secure_cookies():
    code = (
        "from qoricash import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.TRUSTED_PROXY_COUNT, s.X_FRAME_OPTIONS)"
    )
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "k" + "".join(chr(65 + (i * 7) % 26) + str(i % 10) for i in range(40)),
        "ALLOWED_HOSTS": "qoricash.onrender.com",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["31536000", "True", "True", "True", "True", "1", "DENY"]


@pytest.mark.django_db
def test_hsts_header_is_sent_over_https_in_production(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/admin/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_csrf_is_enforced_on_login_and_admin_forms(trader, master):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/admin/login/", {"username": trader.username, "password": "a-strong-test-password"})
    assert response.status_code == 403
    browser.force_login(master)
    response = browser.post("/admin/accounts/user/add/", {"username": "x"})
    assert response.status_code == 403
    response = browser.post("/accounts/password_reset/", {"email": "a@b.pe"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_user_names_with_script_are_escaped_in_admin_pages(master_client):
    evil = UserFactory(username="evil", first_name=XSS, last_name="<img src=x onerror=alert(1)>")
    audit.record(AccountAction.LOGIN, evil, actor=evil, message=XSS)
    entry = audit.record(AccountAction.USER_CHANGED, evil, changes={"first_name": [XSS, XSS]})
    pages = [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{evil.pk}/change/",
        "/admin/accounts/auditentry/",
        f"/admin/accounts/auditentry/{entry.pk}/change/",
    ]
    for url in pages:
        body = master_client.get(url).content.decode()
        assert XSS not in body, url
        assert "<img src=x" not in body, url
    assert "&lt;script&gt;" in master_client.get("/admin/accounts/user/").content.decode()


@pytest.mark.django_db
def test_client_names_with_script_are_escaped_in_admin_pages(master_client, trader):
    from clients.tests.factories import ClientFactory

    c = ClientFactory(owner=trader, nombres=XSS, apellido_paterno="<b>X</b>")
    for url in ("/admin/clients/client/", f"/admin/clients/client/{c.pk}/change/"):
        response = master_client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert XSS.upper() not in body and XSS not in body, url
        assert "<B>X</B>" not in body and "<b>X</b>" not in body, url
