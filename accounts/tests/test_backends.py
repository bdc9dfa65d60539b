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
