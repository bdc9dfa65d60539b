"""Users: invitation with a one-time link, password rules, "forgot my password", no hard delete."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache

from accounts.audit_actions import AccountAction
from accounts.models import AuditEntry, User
from accounts.tests.factories import UserFactory

NEW_PASSWORD = "Cusco-Lima-2026-segura"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _invite(master_client, django_capture_on_commit_callbacks, **extra):
    data = {
        "username": "nuevo",
        "first_name": "Rosa",
        "last_name": "Torres",
        "email": "Rosa.Torres@QoriCash.pe",
        "dni": "45678912",
        "role": Group.objects.get(name="Operador").pk,
        **extra,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = master_client.post("/admin/accounts/user/add/", data)
    return response


def _link(message):
    return re.search(r"https?://[^\s]+/accounts/reset/[^\s]+/", message.body).group(0)


@pytest.mark.django_db
def test_master_invites_a_user_who_sets_the_password_once_and_logs_in(
    master_client, master, client, django_capture_on_commit_callbacks
):
    response = _invite(master_client, django_capture_on_commit_callbacks)
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="nuevo")
    assert not user.has_usable_password()
    assert user.is_staff and not user.is_superuser and user.is_active
    assert [g.name for g in user.groups.all()] == ["Operador"]
    assert user.email == "rosa.torres@qoricash.pe"
    # One Spanish e-mail with a one-time link, and no password in it.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rosa.torres@qoricash.pe"]
    assert "contraseña" in message.subject.lower()
    assert "Hola Rosa" in message.body and "nuevo" in message.body
    assert "password" not in message.body.lower()
    link = _link(message)
    assert AuditEntry.objects.filter(action=AccountAction.INVITATION_SENT, object_id=str(user.pk)).exists()
    assert AuditEntry.objects.get(action=AccountAction.USER_CREATED, object_id=str(user.pk)).actor == master

    master_client.logout()
    page = client.get(link, follow=True)
    assert page.status_code == 200 and "new_password1" in page.content.decode()
    set_url = page.redirect_chain[-1][0]
    # Django's validators: 10 characters minimum.
    short = client.post(set_url, {"new_password1": "corta123", "new_password2": "corta123"})
    assert short.status_code == 200
    assert "al menos 10 caracteres" in short.content.decode()
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    assert AuditEntry.objects.filter(action=AccountAction.PASSWORD_SET, actor=user).exists()
    # The link is single-use.
    again = client.get(link, follow=True)
    assert "no es válido" in again.content.decode()
    # And the user can log in with the chosen password.
    login = client.post("/admin/login/", {"username": "nuevo", "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_invitation_form_requires_role_and_unique_email(master_client, django_capture_on_commit_callbacks):
    UserFactory(username="otra", email="rosa.torres@qoricash.pe")
    response = _invite(master_client, django_capture_on_commit_callbacks, role="")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "role" in errors and "email" in errors
    assert not User.objects.filter(username="nuevo").exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_invited_user_cannot_log_in_before_choosing_a_password(
    master_client, client, django_capture_on_commit_callbacks
):
    _invite(master_client, django_capture_on_commit_callbacks)
    response = client.post("/admin/login/", {"username": "nuevo", "password": ""})
    assert response.status_code == 200


@pytest.mark.django_db
def test_login_page_has_forgot_password_link(client):
    body = client.get("/admin/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in body


@pytest.mark.django_db
def test_password_reset_answers_the_same_whether_the_address_exists(client, trader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/accounts/password_reset/", {"email": trader.email})
    unknown = client.post("/accounts/password_reset/", {"email": "nobody@example.pe"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [trader.email]
    assert "/accounts/reset/" in mail.outbox[0].body
    page = client.get("/accounts/password_reset/done/").content.decode()
    assert "Si la dirección pertenece" in page


@pytest.mark.django_db
def test_password_reset_is_rate_limited(client, db, settings):
    settings.RATELIMIT_PASSWORD_RESET = "2/h"
    for _ in range(2):
        assert client.post("/accounts/password_reset/", {"email": "x@example.pe"}).status_code == 302
    assert client.post("/accounts/password_reset/", {"email": "x@example.pe"}).status_code == 429


@pytest.mark.django_db
def test_inactive_users_get_no_reset_mail(client):
    UserFactory(username="old", email="old@qoricash.pe", is_active=False)
    client.post("/accounts/password_reset/", {"email": "old@qoricash.pe"})
    assert mail.outbox == []


@pytest.mark.django_db
def test_users_are_never_deleted_only_deactivated(master_client, master):
    user = UserFactory(username="leaving", role="Trader")
    assert master_client.get(f"/admin/accounts/user/{user.pk}/delete/").status_code == 403
    response = master_client.post(
        "/admin/accounts/user/", {"action": "deactivate", "_selected_action": [user.pk, master.pk]}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    master.refresh_from_db()
    assert user.is_active is False
    assert master.is_active is True  # nobody locks themself out
    assert "delete_selected" not in master_client.get("/admin/accounts/user/").content.decode()


@pytest.mark.django_db
def test_nobody_sets_another_users_password(master_client, trader):
    assert master_client.get(f"/admin/accounts/user/{trader.pk}/password/").status_code in (302, 404)
    page = master_client.get(f"/admin/accounts/user/{trader.pk}/change/").content.decode()
    assert "md5$" not in page and "/password/" not in page


@pytest.mark.django_db
def test_master_cannot_grant_superuser(master_client, trader):
    page = master_client.get(f"/admin/accounts/user/{trader.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page


@pytest.mark.django_db
def test_resend_invitation_action(master_client, django_capture_on_commit_callbacks):
    user = UserFactory(username="pending", role="Trader")
    user.set_unusable_password()
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        master_client.post("/admin/accounts/user/", {"action": "send_invitation", "_selected_action": [user.pk]})
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body


def test_group_page_lists_permissions_in_spanish(master_client):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Trader")
    page = master_client.get(f"/admin/auth/group/{group.pk}/change/").content.decode()
    assert "Puede ver cliente" in page
    assert "Puede activar o desactivar clientes" in page
    assert "Can view" not in page and "Can activate" not in page


def test_a_master_cannot_change_or_deactivate_a_superuser(master_client):
    from accounts.models import User

    boss = User.objects.create_superuser("owner", "owner@qoricash.pe", "a-strong-test-password")
    page = master_client.get(f"/admin/accounts/user/{boss.pk}/change/")
    assert page.status_code == 200  # may look...
    response = master_client.post(
        f"/admin/accounts/user/{boss.pk}/change/",
        {"username": "owner", "email": "attacker@example.pe", "is_active": "on"},
    )
    assert response.status_code == 403  # ...but not change the e-mail used by "forgot my password"
    master_client.post("/admin/accounts/user/", {"action": "deactivate", "_selected_action": [boss.pk]})
    boss.refresh_from_db()
    assert boss.email == "owner@qoricash.pe" and boss.is_active


def test_roles_list_counts_in_one_query(master_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        page = master_client.get("/admin/auth/group/")
    assert page.status_code == 200


def test_group_page_offers_every_role_permission_and_no_internal_one(master_client):
    from django.contrib.auth.models import Group, Permission

    from accounts.admin import grantable_permissions
    from accounts.roles import ROLE_PERMISSIONS

    offered = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in grantable_permissions(Permission.objects.select_related("content_type"))
    }
    assert set().union(*ROLE_PERMISSIONS.values()) <= offered
    assert not offered & {"sessions.view_session", "admin.add_logentry", "accounts.change_auditentry"}
    page = master_client.get(f"/admin/auth/group/{Group.objects.get(name='Master').pk}/change/").content.decode()
    assert "Puede ver registro de auditoría" in page
    assert "Puede modificar registro de auditoría" not in page
