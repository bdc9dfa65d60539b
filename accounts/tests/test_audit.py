"""The audit trail: what is recorded, and that nobody can change it (admin, superuser, PostgreSQL)."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection, transaction
from django.db.utils import DatabaseError

from accounts import audit
from accounts.audit_actions import AccountAction
from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory

PASSWORD = "a-strong-test-password"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _entries(action):
    return list(AuditEntry.objects.filter(action=action))


@pytest.mark.django_db
def test_login_failed_login_and_logout_are_recorded_without_password(client, trader):
    client.post(
        "/admin/login/",
        {"username": trader.username, "password": "wrong-password-123"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="pytest-browser",
    )
    [failed] = _entries(AccountAction.LOGIN_FAILED)
    assert failed.actor is None and failed.object_repr == trader.username
    assert failed.object_id == str(trader.pk)
    assert failed.ip == "203.0.113.9" and failed.user_agent == "pytest-browser"
    dump = json.dumps([e.changes for e in AuditEntry.objects.all()]) + "".join(
        e.message for e in AuditEntry.objects.all()
    )
    assert "wrong-password-123" not in dump and "*****" not in dump

    client.post("/admin/login/", {"username": trader.username, "password": PASSWORD})
    [login] = _entries(AccountAction.LOGIN)
    assert login.actor == trader
    client.post("/admin/logout/")
    [logout] = _entries(AccountAction.LOGOUT)
    assert logout.actor == trader


@pytest.mark.django_db
def test_unknown_username_is_recorded_as_typed(client, db):
    client.post("/admin/login/", {"username": "nadie", "password": "whatever-123456"})
    [failed] = _entries(AccountAction.LOGIN_FAILED)
    assert failed.object_repr == "nadie" and failed.object_id == ""


@pytest.mark.django_db
def test_user_change_through_admin_records_old_and_new_values(master_client, master):
    user = UserFactory(username="ana", email="ana@old.pe", role="Trader")
    data = {
        "username": "ana",
        "first_name": "Ana",
        "last_name": "Pérez",
        "email": "ana@new.pe",
        "dni": "",
        "is_active": "on",
        "groups": [Group.objects.get(name="Operador").pk],
    }
    response = master_client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    mine = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(user.pk))
    changed = mine.get(action=AccountAction.USER_CHANGED)
    assert changed.actor == master
    assert changed.changes["email"] == ["ana@old.pe", "ana@new.pe"]
    # The form replaces the groups (Django removes, then adds): the last entry holds the final roles.
    roles = mine.filter(action=AccountAction.USER_ROLES_CHANGED).order_by("id")
    assert roles.first().changes["groups"] == [[], ["Trader"]]  # at creation (factory)
    assert roles.last().changes["groups"] == [[], ["Operador"]]
    assert all(r.actor == master for r in roles[1:])


@pytest.mark.django_db
def test_group_permission_changes_are_recorded_with_before_and_after(master):
    group = Group.objects.get(name="Trader")
    before = AuditEntry.objects.count()
    perm = Permission.objects.get(codename="view_auditentry")
    group.permissions.add(perm)
    entry = AuditEntry.objects.filter(action=AccountAction.ROLE_PERMISSIONS_CHANGED).latest("id")
    old, new = entry.changes["permissions"]
    assert "accounts.view_auditentry" not in old and "accounts.view_auditentry" in new
    group.permissions.remove(perm)
    assert AuditEntry.objects.count() == before + 2
    # Reverse side (permission.group_set) and user.groups reverse side are recorded too.
    perm.group_set.add(group)
    assert AuditEntry.objects.count() == before + 3


@pytest.mark.django_db
def test_password_change_is_recorded_without_any_hash(master):
    master.set_password("another-strong-password")
    master.save()
    entry = AuditEntry.objects.filter(action=AccountAction.USER_CHANGED, object_id=str(master.pk)).latest("id")
    assert entry.changes["password"] == ["••••••", "••••••"]
    assert "md5$" not in json.dumps(entry.changes)


@pytest.mark.django_db
def test_last_login_alone_is_not_an_entry(client, trader):
    client.post("/admin/login/", {"username": trader.username, "password": PASSWORD})
    assert not AuditEntry.objects.filter(action=AccountAction.USER_CHANGED, object_id=str(trader.pk)).exists()


@pytest.mark.django_db
def test_client_email_edit_shows_old_and_new_in_the_audit_admin(master_client, master, trader):
    from clients.services import update_client
    from clients.tests.factories import ClientFactory

    client = ClientFactory(owner=trader, email="old@cliente.pe")
    update_client(client, {"email": "new@cliente.pe"}, by=master)
    entry = AuditEntry.objects.get(object_type="clients.client", object_id=str(client.pk), action="client.change")
    assert entry.changes["email"] == ["old@cliente.pe", "new@cliente.pe"]
    page = master_client.get(f"/admin/accounts/auditentry/{entry.pk}/change/").content.decode()
    assert "old@cliente.pe" in page and "new@cliente.pe" in page


@pytest.mark.django_db
def test_audit_admin_lists_filters_and_searches(master_client, trader):
    audit.record(AccountAction.FILE_DOWNLOADED, trader, actor=trader, message="dni.pdf")
    audit.record(AccountAction.LOGIN, trader, actor=trader)
    base = "/admin/accounts/auditentry/"
    page = master_client.get(base)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Archivo descargado" in body  # Spanish label of the action
    assert master_client.get(base, {"action": AccountAction.FILE_DOWNLOADED}).context["cl"].result_count == 1
    assert master_client.get(base, {"q": "dni.pdf"}).context["cl"].result_count == 1
    assert master_client.get(base, {"object_type": "accounts.user"}).context["cl"].result_count >= 2
    assert master_client.get(base, {"actor__id__exact": trader.pk}).context["cl"].result_count == 2
    assert master_client.get(base, {"at__gte": "2000-01-01 00:00:00-05:00"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["master", "superuser"])
def test_nobody_can_add_change_or_delete_entries_through_the_admin(who, client, master):
    user = master if who == "master" else UserFactory(username="root", is_superuser=True)
    client.force_login(user)
    entry = audit.record(AccountAction.LOGIN, user, actor=user)
    base = "/admin/accounts/auditentry/"
    assert client.get(base + "add/").status_code == 403
    assert client.post(base + "add/", {"action": "forged"}).status_code == 403
    assert client.get(f"{base}{entry.pk}/delete/").status_code == 403
    assert client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(f"{base}{entry.pk}/change/", {"action": "forged", "message": "x"})
    assert response.status_code == 403
    change_page = client.get(f"{base}{entry.pk}/change/")
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()
    bulk = client.post(base, {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.action == AccountAction.LOGIN and AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_operador_and_trader_cannot_see_the_audit(operador_client):
    assert operador_client.get("/admin/accounts/auditentry/").status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_trigger_rejects_update_and_delete(db):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only (run with DATABASE_URL=postgres://...)")
    entry = audit.record(AccountAction.LOGIN, None, message="original")
    for statement in (
        "UPDATE accounts_auditentry SET message = 'forged' WHERE id = %s",
        "DELETE FROM accounts_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(message="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.message == "original"
    # Appending still works.
    audit.record(AccountAction.LOGOUT, None)


@pytest.mark.django_db
def test_entries_stored_with_an_old_code_read_and_filter_as_the_current_action(master_client, trader):
    old = AuditEntry.objects.create(action="file_download", actor=trader, message="voucher.pdf")
    new = audit.record(AccountAction.FILE_DOWNLOADED, trader, actor=trader, message="dni.pdf")
    assert audit.action_label(old.action) == audit.action_label(new.action) == AccountAction.FILE_DOWNLOADED.label
    base = "/admin/accounts/auditentry/"
    page = master_client.get(base, {"action": AccountAction.FILE_DOWNLOADED})
    assert set(page.context["cl"].result_list) == {old, new}
    choices = [c for c in page.context["cl"].filter_specs[0].lookup_choices]
    assert [code for code, _label in choices].count(AccountAction.FILE_DOWNLOADED.value) == 1
    assert "file_download" not in [code for code, _label in choices]
    assert "Archivo descargado" in master_client.get(f"{base}{old.pk}/change/").content.decode()


@pytest.mark.django_db
def test_recording_an_unregistered_action_warns():
    with pytest.warns(audit.UnregisteredAuditAction):
        audit.record("made_up_action")
