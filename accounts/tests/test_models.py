"""The user model's helpers: how a person is shown and who holds a permission."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_display_name_is_full_name_else_username():
    assert User(username="rtorres", first_name="Rosa", last_name="Torres").display_name == "Rosa Torres"
    assert User(username="rtorres").display_name == "rtorres"


def _perm(label):
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_with_perm_through_group_and_direct_grant():
    crew = Group.objects.create(name="Caja")
    crew.permissions.add(_perm("reports.view_position"))
    in_group = UserFactory(role="Trader")
    in_group.groups.add(crew)
    direct = UserFactory(role="Trader")
    direct.user_permissions.add(_perm("reports.view_position"))
    without = UserFactory(role="Trader")
    root = User.objects.create_superuser("root", "root@example.com", "a-strong-test-password")

    found = set(User.objects.with_perm("reports.view_position", include_superusers=False))
    assert in_group in found and direct in found
    assert without not in found and root not in found
    assert root in User.objects.with_perm("reports.view_position")
    assert direct in User.objects.with_perm(_perm("reports.view_position"), include_superusers=False)


def test_with_perm_skips_inactive_users_unless_asked_and_never_duplicates():
    user = UserFactory(role="Master")
    user.user_permissions.add(_perm("reports.view_position"))  # also through the Master group
    assert list(User.objects.with_perm("reports.view_position").filter(pk=user.pk)) == [user]
    user.is_active = False
    user.save()
    assert not User.objects.with_perm("reports.view_position").filter(pk=user.pk).exists()
    assert User.objects.with_perm("reports.view_position", active_only=False).filter(pk=user.pk).exists()


def test_with_perm_refuses_a_malformed_name():
    with pytest.raises(ValueError):
        User.objects.with_perm("view_position")
