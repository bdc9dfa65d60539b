"""Real browser (Debian's Chromium): invitation → set password → login; the 429 page; the audit admin."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache

from accounts.audit_actions import AccountAction
from accounts.models import AuditEntry, User
from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Arequipa-Misti-2026"


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    import django_ratelimit.core as core

    cache.clear()

    class Frozen:
        @staticmethod
        def time():
            return 1_800_000_000.0

    monkeypatch.setattr(core, "time", Frozen)  # no window edge in the middle of a test
    yield
    cache.clear()


def test_invitation_set_password_and_login(page, live_server, admin_login, screenshot_dir):
    UserFactory(username="m_master", role="Master")
    admin_login(page, "m_master")
    page.goto(f"{live_server.url}/admin/accounts/user/add/")
    page.fill("#id_username", "rtorres")
    page.fill("#id_first_name", "Rosa")
    page.fill("#id_last_name", "Torres")
    page.fill("#id_email", "rosa.torres@qoricash.pe")
    page.select_option("#id_role", label="Operador")
    page.screenshot(path=screenshot_dir / "security-01-invite-form.png", full_page=True)
    page.click("input[name=_save]")
    page.wait_for_load_state()
    assert "invitación" in page.content()
    page.screenshot(path=screenshot_dir / "security-02-invited.png", full_page=True)
    user = User.objects.get(username="rtorres")
    assert not user.has_usable_password()
    assert [g.name for g in user.groups.all()] == [Group.objects.get(name="Operador").name]

    [message] = mail.outbox
    link = re.search(r"https?://\S+/accounts/reset/\S+/", message.body).group(0)
    page.context.clear_cookies()  # the invited user is someone else, on another browser
    page.goto(link)
    page.wait_for_load_state()
    assert "Elija su contraseña" in page.content()
    page.fill("#id_new_password1", "corta")
    page.fill("#id_new_password2", "corta")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    assert "al menos 10 caracteres" in page.content()
    page.screenshot(path=screenshot_dir / "security-03-short-password.png", full_page=True)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    assert "Su contraseña se guardó" in page.content()
    page.screenshot(path=screenshot_dir / "security-04-password-saved.png", full_page=True)

    admin_login(page, "rtorres", NEW_PASSWORD)
    assert page.url.rstrip("/").endswith("/admin")
    page.screenshot(path=screenshot_dir / "security-05-logged-in.png", full_page=True)
    assert AuditEntry.objects.filter(action=AccountAction.PASSWORD_SET, actor=user).exists()
    assert AuditEntry.objects.filter(action=AccountAction.LOGIN, actor=user).exists()


def test_login_page_offers_forgot_password(page, live_server, screenshot_dir):
    page.goto(f"{live_server.url}/admin/login/")
    link = page.locator(".password-reset-link a")
    assert link.get_attribute("href") == "/accounts/password_reset/"
    page.screenshot(path=screenshot_dir / "security-06a-login.png", full_page=True)
    link.click()
    page.wait_for_load_state()
    assert "Olvidé mi contraseña" in page.content()
    page.screenshot(path=screenshot_dir / "security-06-forgot-password.png", full_page=True)


def test_sixth_wrong_password_shows_the_spanish_429_page(page, live_server, admin_login, screenshot_dir):
    UserFactory(username="t_trader", role="Trader")
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)
    for attempt in range(6):
        admin_login(page, "t_trader", f"mala-clave-{attempt}")
    assert statuses == [200, 200, 200, 200, 200, 429]
    assert "intentos" in page.content().lower()
    page.screenshot(path=screenshot_dir / "security-07-429.png", full_page=True)


def test_audit_admin_is_read_only(page, live_server, admin_login, screenshot_dir):
    master = UserFactory(username="m_master", role="Master", first_name="María", last_name="Quispe")
    trader = UserFactory(username="t_trader", role="Trader")
    from accounts import audit

    entry = audit.record(
        "user_changed", trader, actor=master, changes={"email": ["antes@qoricash.pe", "despues@qoricash.pe"]}
    )
    admin_login(page, "m_master")
    page.goto(f"{live_server.url}/admin/accounts/auditentry/")
    page.wait_for_load_state()
    content = page.content()
    assert "Inicio de sesión" in content and "Usuario modificado" in content
    assert page.locator(".object-tools a.addlink").count() == 0
    page.screenshot(path=screenshot_dir / "security-08-audit-list.png", full_page=True)
    page.click(f"a[href$='/admin/accounts/auditentry/{entry.pk}/change/']")
    page.wait_for_load_state()
    content = page.content()
    assert "antes@qoricash.pe" in content and "despues@qoricash.pe" in content
    assert page.locator("input[name=_save]").count() == 0
    page.screenshot(path=screenshot_dir / "security-09-audit-entry.png", full_page=True)
