"""The user of a session is read with its permissions in one query, and holds exactly the
permissions Django's own backend gives it."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.backends import OneQueryModelBackend
from accounts.models import User
from accounts.tests.factories import UserFactory


def djangos(user):
    return ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))


@pytest.mark.django_db
def test_the_sessions_user_carries_its_own_and_its_groups_permissions():
    user = UserFactory(role=roles.TRADER)
    user.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    with CaptureQueriesContext(connection) as ctx:
        read = OneQueryModelBackend().get_user(user.pk)
        assert read.has_perm("accounts.view_auditentry")
        assert read.has_perm("operations.add_operation")
        assert not read.has_perm("operations.supervise_operation")
    assert len(ctx.captured_queries) == 1
    assert read.get_all_permissions() == djangos(user)
    assert "accounts.view_auditentry" in read.get_all_permissions()


@pytest.mark.django_db
def test_a_change_of_role_shows_on_the_next_request():
    user = UserFactory(role=roles.TRADER)
    assert OneQueryModelBackend().get_user(user.pk).has_perm("operations.add_operation")
    user.groups.clear()
    user.groups.add(Group.objects.get(name=roles.OPERADOR))
    read = OneQueryModelBackend().get_user(user.pk)
    assert not read.has_perm("operations.add_operation")
    assert read.get_all_permissions() == djangos(user)


@pytest.mark.django_db
def test_no_permission_no_inactive_user_and_the_superusers_all():
    bare = UserFactory()
    assert OneQueryModelBackend().get_user(bare.pk).get_all_permissions() == set()
    UserFactory(username="gone", is_active=False)
    assert OneQueryModelBackend().get_user(User.objects.get(username="gone").pk) is None
    assert OneQueryModelBackend().get_user(10**9) is None
    boss = UserFactory(username="boss", is_superuser=True)
    assert OneQueryModelBackend().get_user(boss.pk).get_all_permissions() == djangos(boss)


@pytest.mark.django_db
def test_the_query_is_compiled_once_and_read_for_each_user(monkeypatch):
    from accounts import backends

    trader, operador = UserFactory(role=roles.TRADER), UserFactory(role=roles.OPERADOR)
    OneQueryModelBackend().get_user(trader.pk)  # compiled here, if no earlier test did

    def compile_again():
        raise AssertionError("compiled again")

    monkeypatch.setattr(backends, "_users_with_permission_names", compile_again)
    for user in (trader, operador):
        read = OneQueryModelBackend().get_user(str(user.pk))  # the session keeps the id as text
        assert read == user and read._state.db == "default" and not read._state.adding
        assert read.get_all_permissions() == djangos(user)


@pytest.mark.django_db
def test_a_query_whose_id_cannot_be_told_apart_is_compiled_every_time(monkeypatch):
    from django.db.models import Value

    from accounts import backends
    from qoricash import compiled

    user = UserFactory(role=roles.TRADER)
    original = backends._users_with_permission_names
    calls = []

    def with_a_second_placeholder():
        # A second parameter equal to the placeholder: substituting it would change the query.
        calls.append(1)
        return original().annotate(x=Value(backends._ID_PLACEHOLDER))

    monkeypatch.setattr(backends, "_users_with_permission_names", with_a_second_placeholder)
    monkeypatch.setattr(compiled, "_sql", {})
    for _ in range(2):
        assert OneQueryModelBackend().get_user(user.pk).get_all_permissions() == djangos(user)
    assert len(calls) == 3  # compiled once for the cache, then once more on each call
