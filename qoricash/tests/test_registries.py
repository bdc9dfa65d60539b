"""What apps declare from their registry: role defaults (a union), list buttons, views without duplicates."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission

from accounts import roles
from accounts.tests.factories import UserFactory


def test_role_defaults_are_the_union_of_what_apps_register(monkeypatch):
    monkeypatch.setattr(roles, "ROLE_PERMISSIONS", {k: set(v) for k, v in roles.ROLE_PERMISSIONS.items()})
    before = set(roles.ROLE_PERMISSIONS[roles.TRADER])
    roles.register_defaults(roles.TRADER, {"reports.view_position"})
    roles.register_defaults(roles.TRADER, {"reports.view_position", "reports.view_profit"})
    assert roles.ROLE_PERMISSIONS[roles.TRADER] == before | {"reports.view_position", "reports.view_profit"}
    roles.register_defaults("Cajero", {"reports.view_position"})
    assert roles.roles()[-1] == "Cajero" and roles.roles()[:3] == (roles.MASTER, roles.OPERADOR, roles.TRADER)


def test_accounts_and_reports_defaults_come_from_their_registries():
    assert "accounts.view_auditentry" in roles.ROLE_PERMISSIONS[roles.MASTER]
    assert "reports.export_history" in roles.ROLE_PERMISSIONS[roles.TRADER]
    assert "reports.view_profit" not in roles.ROLE_PERMISSIONS[roles.OPERADOR]


@pytest.fixture
def buttons():
    saved_buttons, saved_views = list(admin.site._buttons), list(admin.site._views)
    yield admin.site
    admin.site._buttons[:] = saved_buttons
    admin.site._views[:] = saved_views


def _user_with(*perms):
    user = UserFactory()
    for label in perms:
        app_label, codename = label.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


@pytest.mark.django_db
def test_a_registered_button_shows_on_that_list_only_to_holders_and_keeps_the_query(client, buttons):
    buttons.register_button(
        "accounts.User",
        "Exportar usuarios",
        "reports_position",
        "reports.view_position",
        keep_query=True,
        element_id="qc-test-button",
    )
    viewer = _user_with("accounts.view_user")
    client.force_login(viewer)
    assert 'id="qc-test-button"' not in client.get("/admin/accounts/user/").content.decode()

    holder = _user_with("accounts.view_user", "reports.view_position")
    client.force_login(holder)
    html = client.get("/admin/accounts/user/", {"q": "ana"}).content.decode()
    assert 'href="/admin/reports/position/?q=ana" id="qc-test-button"' in html
    assert "Exportar usuarios" in html
    assert 'id="qc-test-button"' not in client.get("/admin/auth/group/").content.decode()


def test_registering_the_same_view_or_button_twice_keeps_one(buttons):
    views_before = len(admin.site._views)
    admin.site.register_view("files/<str:kind>/<int:pk>/", lambda r: None, name="private_file")
    assert len(admin.site._views) == views_before
    buttons.register_button("accounts.user", "A", "reports_position", "reports.view_position")
    buttons.register_button("accounts.user", "B", "reports_position", "reports.view_position")
    assert [b.label for b in admin.site._buttons if b.model == "accounts.user"] == ["B"]


@pytest.mark.django_db
def test_the_app_list_is_built_once_and_only_where_a_page_shows_it(master_client, monkeypatch):
    from qoricash.admin_site import QoriCashAdminSite

    built = []
    original = QoriCashAdminSite._app_list
    monkeypatch.setattr(QoriCashAdminSite, "_app_list", lambda self, *a: built.append(a) or original(self, *a))
    index = master_client.get("/admin/").content.decode()
    assert len(built) == 1  # the index's list and the context's are one
    assert 'href="/admin/operations/operation/"' in index and "Saldos bancarios" in index  # a registered nav link
    built.clear()
    clients = master_client.get("/admin/clients/client/").content.decode()
    assert len(built) == 1 and 'id="nav-sidebar"' in clients and "Saldos bancarios" in clients
    built.clear()
    assert master_client.get("/admin/operations/operation/").status_code == 200  # no sidebar on the desk's list
    assert built == []
