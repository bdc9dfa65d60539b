"""The permission matrix: every admin URL, requested as each role and as an anonymous user.

Expectations come from accounts/roles.py through accounts/matrix.py (never from the database), the
users get their permissions from the groups in the database: so the test fails when the app, a
group's permissions or docs/permissions.md drift from the roles table, and when an admin URL
appears without a matrix entry.
"""

from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import URLPattern, URLResolver, reverse

from accounts import audit, matrix
from accounts.audit_actions import AccountAction
from accounts.roles import ROLE_PERMISSIONS
from accounts.tests.factories import UserFactory

DOC = Path(__file__).resolve().parent.parent / "docs" / "permissions.md"
RULES = matrix.all_rules()
ROLES = matrix.roles()


# --- sample objects, each visible to `owner` (the Trader under test, or some trader) -------------
def _client(owner):
    from clients.tests.factories import ClientFactory

    return ClientFactory(owner=owner)


def _operation(owner):
    from clients.tests.factories import active_client
    from operations.tests.factories import OperationFactory

    return OperationFactory(client=active_client(owner=owner))


def _bank_account(owner):
    from clients.tests.factories import BankAccountFactory

    return BankAccountFactory(client=_client(owner))


def _reassignment(owner):
    from clients.models import ClientReassignment

    return ClientReassignment.objects.create(
        client=_client(owner), from_owner=UserFactory(role="Trader"), to_owner=owner, by=owner
    )


def _event(owner):
    from operations.models import OperationEvent

    return OperationEvent.objects.create(operation=_operation(owner), action="created", by=owner)


def _unusual(owner):
    from operations.models import UnusualOperation

    return UnusualOperation.objects.create(
        operation=_operation(owner), note="Fraccionamiento aparente", marked_by=owner
    )


def _goal(owner):
    from decimal import Decimal

    from reports.models import TraderGoal

    return TraderGoal.objects.create(trader=owner, year=2026, month=11, goal_pen=Decimal("1000.00"), set_by=owner)


def _rate(owner):
    from operations.tests.factories import ExchangeRateFactory

    return ExchangeRateFactory()


def _house(owner):
    from operations.tests.factories import HouseBankAccountFactory

    return HouseBankAccountFactory()


def _helpers():
    from tests import storage_helpers

    return storage_helpers


def _export_file(owner):
    """An export is only ever its requester's (Mis descargas): the sample belongs to the user under test."""
    from accounts.models import User

    requester = User.objects.filter(username__startswith="as_").first() or owner
    return _helpers().export_file(requester)


def _outbound_email(owner):
    from qoricash.outbox.queue import enqueue

    return enqueue(
        "test.sample", to=[owner.email or "sample@example.com"], subject="Muestra", text="Texto", deliver=False
    )


SAMPLES = {
    "qoricash.outboundemail": _outbound_email,
    "accounts.user": lambda owner: UserFactory(username="sample_user", role="Trader"),
    "auth.group": lambda owner: Group.objects.get(name="Trader"),
    "accounts.auditentry": lambda owner: audit.record(AccountAction.USER_CHANGED, owner, actor=owner),
    "clients.client": _client,
    "clients.bankaccount": _bank_account,
    "clients.clientdocument": lambda owner: _helpers().client_document(owner),
    "clients.clientreassignment": _reassignment,
    "operations.exchangerate": _rate,
    "operations.housebankaccount": _house,
    "operations.operation": _operation,
    "operations.deposit": lambda owner: _helpers().deposit(owner),
    "operations.payout": lambda owner: _helpers().payout(owner),
    "operations.operationevent": _event,
    "operations.fundsdeclaration": lambda owner: _helpers().funds_declaration(owner),
    "operations.unusualoperation": _unusual,
    "reports.tradergoal": _goal,
    "qoricash.exportfile": _export_file,
}


def _url_params():
    """{url name: names of its path parameters}, from the admin's URL patterns."""
    params = {}

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns)
            elif isinstance(p, URLPattern) and p.name:
                converters = getattr(p.pattern, "converters", None)
                names = list(converters) if converters else list(p.pattern.regex.groupindex)
                params.setdefault(p.name, names)

    walk(admin.site.get_urls())
    return params


URL_PARAMS = _url_params()
# Path parameters the test fills with the pk of the rule's sample object.
ID_PARAMS = ("object_id", "pk", "id")


def url_for(rule, owner):
    kwargs = dict(rule.kwargs)
    for name in URL_PARAMS.get(rule.name, []):
        if name in kwargs:
            continue
        assert name in ID_PARAMS, f"admin:{rule.name} has a parameter {name!r} the matrix cannot fill"
        assert rule.model, f"admin:{rule.name} needs an object: give its matrix rule model=..."
        assert rule.model in SAMPLES, f"no sample object for {rule.model}: add a builder to SAMPLES"
        kwargs[name] = SAMPLES[rule.model](owner).pk
    return reverse(f"admin:{rule.name}", kwargs=kwargs)


def _outcome(response, rule, allowed):
    """ "login", "ok" (the rule's status when allowed), "denied" (its status when refused), or why not."""
    status, location = response.status_code, response.get("Location", "")
    if status == 302 and location.startswith("/admin/login/"):
        return "login"
    if allowed and status == rule.ok:
        return "ok"
    if not allowed and status == rule.denied:
        return "denied"
    # An object outside the user's portfolio: the admin redirects to its index, never shows it.
    if not allowed and rule.model and status == 302 and location == reverse("admin:index"):
        return "denied"
    return f"HTTP {status} {location}".strip()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule", RULES, ids=[r.key for r in RULES])
def test_admin_url(rule, role, client):
    if role == matrix.ANONYMOUS:
        owner = UserFactory(username="some_trader", role="Trader")
    else:
        owner = UserFactory(username=f"as_{role.lower()}", role=role)
        client.force_login(owner)
        if role != "Trader":
            owner = UserFactory(username="some_trader", role="Trader")
    url = url_for(rule, owner)
    response = getattr(client, rule.method.lower())(url)
    allowed = role != matrix.ANONYMOUS and rule.allows(ROLE_PERMISSIONS[role])
    expected = "login" if role == matrix.ANONYMOUS else ("ok" if allowed else "denied")
    got = _outcome(response, rule, allowed)
    assert got == expected, f"{role} {rule.method} {url}: expected {expected} ({rule.expected(role)}), got {got}"


# --- the matrix itself is complete and true to the roles table ----------------------------------
def test_every_admin_url_has_a_matrix_entry():
    missing = matrix.uncovered()
    assert not missing, (
        "Admin URLs without a permission-matrix entry (declare them with accounts.matrix.rule(...)): "
        + ", ".join(f"admin:{n}" for n in missing)
    )


def test_every_registered_model_has_a_sample_object():
    missing = sorted({m._meta.label_lower for m in admin.site._registry} - set(SAMPLES))
    assert not missing, f"add a sample builder to SAMPLES for: {missing}"


def test_rules_cover_every_registered_model_and_download_kind():
    names = {r.name for r in RULES}
    for model in admin.site._registry:
        opts = model._meta
        for view in ("changelist", "add", "change", "history", "delete"):
            assert f"{opts.app_label}_{opts.model_name}_{view}" in names
    from qoricash.downloads import registry

    kinds = {r.kwargs.get("kind") for r in RULES if r.name == "private_file"}
    assert kinds == set(registry())


@pytest.mark.django_db
def test_groups_in_the_database_equal_the_roles_table():
    for role, wanted in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        actual = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert actual == wanted, f"{role}: extra {sorted(actual - wanted)}, missing {sorted(wanted - actual)}"


@pytest.mark.django_db
def test_every_permission_in_the_table_exists():
    existing = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    for role, wanted in ROLE_PERMISSIONS.items():
        assert wanted <= existing, f"{role}: unknown permissions {sorted(wanted - existing)}"


def test_no_role_can_delete_anything():
    for role, perms in ROLE_PERMISSIONS.items():
        assert not [p for p in perms if ".delete_" in p], role


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label_lower)
def test_even_a_superuser_cannot_delete_through_the_admin(model, rf):
    superuser = UserFactory(username="root", is_superuser=True)
    request = rf.get("/admin/")
    request.user = superuser
    assert admin.site._registry[model].has_delete_permission(request) is False


@pytest.mark.django_db
def test_a_permission_granted_outside_the_table_changes_the_outcome(client):
    """The matrix really depends on the groups: give Trader the audit trail and it opens."""
    trader = UserFactory(username="t_extra", role="Trader")
    client.force_login(trader)
    url = reverse("admin:accounts_auditentry_changelist")
    assert client.get(url).status_code == 403
    Group.objects.get(name="Trader").permissions.add(Permission.objects.get(codename="view_auditentry"))
    assert client.get(url).status_code == 200


def test_permissions_doc_is_generated_from_the_table():
    expected = matrix.render_markdown()
    assert DOC.exists(), "run: python manage.py permission_matrix --output docs/permissions.md"
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/permissions.md is stale: run python manage.py permission_matrix --output docs/permissions.md"
    )
