"""Roles are groups filled from the table in accounts/roles.py; the Master's own changes survive deploys."""

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from accounts import roles
from accounts.models import RoleGrant
from accounts.services import sync_roles

BASE_DIR = Path(__file__).resolve().parents[2]


def names(perms):
    return {f"{p.content_type.app_label}.{p.codename}" for p in perms.select_related("content_type")}


def group_perms(role):
    return names(Group.objects.get(name=role).permissions)


def all_perms():
    return names(Permission.objects)


def migrate():
    """What a deploy runs: `migrate` (post_migrate re-syncs the roles even with nothing to migrate)."""
    call_command("migrate", verbosity=0, interactive=False)


@pytest.mark.django_db
def test_every_permission_in_the_table_exists():
    """A typo in the table, or a permission whose Meta was not written yet, would be skipped silently."""
    missing = {role: sorted(wanted - all_perms()) for role, wanted in roles.ROLE_PERMISSIONS.items()}
    assert missing == {role: [] for role in roles.ROLES}


@pytest.mark.django_db
def test_after_migrate_each_role_group_has_its_table():
    for role, wanted in roles.ROLE_PERMISSIONS.items():
        assert group_perms(role) == wanted & all_perms(), role


@pytest.mark.django_db
def test_sync_is_idempotent():
    before = {role: group_perms(role) for role in roles.ROLES}
    grants = RoleGrant.objects.count()
    assert sync_roles() == {role: 0 for role in roles.ROLES}
    call_command("bootstrap_roles", verbosity=0)
    migrate()
    assert {role: group_perms(role) for role in roles.ROLES} == before
    assert RoleGrant.objects.count() == grants
    assert Group.objects.filter(name__in=roles.ROLES).count() == len(roles.ROLES)


@pytest.mark.django_db
def test_a_permission_the_master_removed_is_not_put_back():
    trader = Group.objects.get(name=roles.TRADER)
    removed = Permission.objects.get(content_type__app_label="clients", codename="add_client")
    trader.permissions.remove(removed)  # what the Master does in the admin's group page
    migrate()
    call_command("bootstrap_roles", verbosity=0)
    assert "clients.add_client" not in group_perms(roles.TRADER)
    assert "clients.add_client" in roles.ROLE_PERMISSIONS[roles.TRADER]  # still a default on paper


@pytest.mark.django_db
def test_a_permission_added_to_the_table_reaches_its_group_on_the_next_migrate(monkeypatch):
    new = "accounts.view_rolegrant"
    assert new not in group_perms(roles.TRADER)
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, roles.TRADER, roles.ROLE_PERMISSIONS[roles.TRADER] | {new})
    migrate()
    assert new in group_perms(roles.TRADER)
    assert new not in group_perms(roles.OPERADOR)


@pytest.mark.django_db
def test_reset_restores_exactly_the_table():
    operador = Group.objects.get(name=roles.OPERADOR)
    operador.permissions.remove(Permission.objects.get(content_type__app_label="clients", codename="view_client"))
    operador.permissions.add(Permission.objects.get(content_type__app_label="auth", codename="delete_group"))
    Group.objects.get(name=roles.MASTER).permissions.clear()
    RoleGrant.objects.filter(role=roles.TRADER).delete()  # even a lost grant record is rebuilt

    call_command("bootstrap_roles", "--reset", verbosity=0)

    for role, wanted in roles.ROLE_PERMISSIONS.items():
        assert group_perms(role) == wanted, role
        recorded = set(RoleGrant.objects.filter(role=role).values_list("permission", flat=True))
        assert recorded == wanted, role
    assert sync_roles() == {role: 0 for role in roles.ROLES}  # and a later migrate changes nothing


@pytest.mark.django_db
def test_reset_leaves_groups_outside_the_table_alone():
    auditor = Group.objects.create(name="Auditoría")
    auditor.permissions.add(Permission.objects.get(content_type__app_label="accounts", codename="view_auditentry"))
    call_command("bootstrap_roles", "--reset", verbosity=0)
    assert group_perms("Auditoría") == {"accounts.view_auditentry"}


@pytest.mark.django_db
def test_a_deleted_role_group_comes_back():
    Group.objects.filter(name=roles.OPERADOR).delete()
    RoleGrant.objects.filter(role=roles.OPERADOR).delete()
    migrate()
    assert group_perms(roles.OPERADOR) == roles.ROLE_PERMISSIONS[roles.OPERADOR] & all_perms()


@pytest.mark.django_db
def test_permissions_follow_the_group_not_its_name(django_user_model):
    """Authorisation is has_perm: renaming a group or moving a permission changes access, not code."""
    from accounts.tests.factories import UserFactory

    user = UserFactory(role=roles.TRADER)
    assert user.has_perm("operations.add_operation")
    group = Group.objects.get(name=roles.TRADER)
    group.permissions.remove(Permission.objects.get(content_type__app_label="operations", codename="add_operation"))
    user = django_user_model.objects.get(pk=user.pk)  # fresh permission cache
    assert not user.has_perm("operations.add_operation")


# --- "No code anywhere checks a group's name" -----------------------------------------------------

ROLE_CONSTANTS = {"MASTER", "OPERADOR", "TRADER", "COMPLIANCE_OFFICER"}
# The table itself and the code that fills the groups from it.
ALLOWED = {"accounts/roles.py", "accounts/services.py"}
# Not runtime code: tests, migrations, and scripts that only put seed users into groups.
SKIPPED_DIRS = {".venv", "tests", "migrations", "node_modules", "staticfiles", "bench"}


def runtime_sources():
    for path in sorted(BASE_DIR.rglob("*.py")):
        rel = path.relative_to(BASE_DIR).as_posix()
        if set(path.relative_to(BASE_DIR).parts) & SKIPPED_DIRS or rel in ALLOWED:
            continue
        if rel == "conftest.py" or path.name == "demo.py":  # fixtures and demo data put users in groups
            continue
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)


def group_name_checks(tree):
    """Lines that decide something from a group's name (lookups by name, comparisons with a role)."""
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "accounts.roles":
            imported |= {a.asname or a.name for a in node.names if a.name in ROLE_CONSTANTS}

    def is_role(node):
        return (isinstance(node, ast.Constant) and node.value in roles.ROLES) or (
            isinstance(node, ast.Name) and node.id in imported
        )

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and (node.arg or "").startswith("groups__name"):
            found.append((node.value.lineno, node.arg))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            on_groups = isinstance(target, ast.Attribute) and target.attr in {"groups", "objects"}
            by_name = [k for k in node.keywords if (k.arg or "").startswith("name")]
            if on_groups and by_name and (target.attr == "groups" or any(is_role(k.value) for k in by_name)):
                found.append((node.lineno, f"{target.attr}.{node.func.attr}(name=...)"))
        elif isinstance(node, ast.Compare) and any(is_role(n) for n in [node.left, *node.comparators]):
            found.append((node.lineno, "comparison with a role name"))
    return found


def test_no_code_checks_a_group_name():
    violations = [f"{rel}:{line}: {what}" for rel, tree in runtime_sources() for line, what in group_name_checks(tree)]
    assert violations == [], "authorise with user.has_perm(...), never a group's name"


def test_the_group_name_scanner_catches_the_usual_shapes():
    code = (
        "from accounts.roles import TRADER\n"
        "a = user.groups.filter(name='Master').exists()\n"
        "b = User.objects.filter(groups__name__in=['x'])\n"
        "c = TRADER in names\n"
        "d = Group.objects.get(name='Operador')\n"
        "e = group.name == 'Master'\n"
        "f = User(first_name='Trader')\n"  # a person's name is not a role check
    )
    assert sorted(line for line, _ in group_name_checks(ast.parse(code))) == [2, 3, 4, 5, 6]
