"""save_trader_goal holds the goal rules itself: whoever calls it (admin, shell, another app)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from reports import services
from reports.audit_actions import ReportAction
from reports.models import TraderGoal

pytestmark = pytest.mark.django_db
D = Decimal


def new_goal(trader, goal="1000.00", year=2026, month=11):
    return TraderGoal(trader=trader, year=year, month=month, goal_pen=D(goal))


@pytest.fixture
def goal(master, trader):
    return services.save_trader_goal(new_goal(trader, "100.00"), by=master)


def fresh(user):
    """The user again, without Django's cached permissions."""
    return type(user).objects.get(pk=user.pk)


def grant(user, codename):
    user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="reports"))
    return fresh(user)


def test_master_sets_and_changes_a_goal_with_audit(master, trader, goal):
    assert goal.set_by == master and AuditEntry.objects.filter(action=ReportAction.GOAL_CREATED).count() == 1
    goal.goal_pen = D("250.00")
    services.save_trader_goal(goal, by=master)
    goal.refresh_from_db()
    assert goal.goal_pen == D("250.00")
    assert AuditEntry.objects.get(action=ReportAction.GOAL_CHANGED).changes["goal_pen"] == ["100.00", "250.00"]


def test_creating_needs_add_tradergoal(trader, operador):
    for actor in (trader, operador, None):
        with pytest.raises(PermissionDenied, match="No tiene permiso para fijar metas"):
            services.save_trader_goal(new_goal(trader), by=actor)
    assert not TraderGoal.objects.exists() and not AuditEntry.objects.filter(action=ReportAction.GOAL_CREATED).exists()


def test_changing_needs_change_tradergoal(master, trader, goal):
    holder = grant(UserFactory(username="only_add", role="Operador"), "add_tradergoal")
    goal.goal_pen = D("1.00")
    with pytest.raises(PermissionDenied, match="No tiene permiso para cambiar metas"):
        services.save_trader_goal(goal, by=holder)
    assert TraderGoal.objects.get().goal_pen == D("100.00")


def test_changing_a_goal_the_actor_cannot_see_is_refused(master, trader, other_trader, goal):
    """change_tradergoal without view_all_operations reaches only the actor's own goals."""
    other = grant(other_trader, "change_tradergoal")
    goal.goal_pen = D("1.00")
    with pytest.raises(PermissionDenied, match="no existe o no es visible"):
        services.save_trader_goal(goal, by=other)
    assert TraderGoal.objects.get().goal_pen == D("100.00")


def test_only_eligible_traders_hold_goals(master, operador, trader):
    inactive = UserFactory(username="t_gone", role="Trader", is_active=False)
    for holder in (operador, master, inactive):
        with pytest.raises(ValidationError) as exc:
            services.save_trader_goal(new_goal(holder), by=master)
        assert "no puede tener una meta" in exc.value.message_dict["trader"][0]
    assert not TraderGoal.objects.exists()


@pytest.mark.parametrize("field, value", [("trader", "other_trader"), ("year", 2027), ("month", 12)])
def test_trader_year_and_month_never_change(master, trader, other_trader, goal, field, value):
    setattr(goal, field, other_trader if value == "other_trader" else value)
    goal.goal_pen = D("999.00")
    with pytest.raises(ValidationError, match="solo puede cambiar su monto"):
        services.save_trader_goal(goal, by=master)
    stored = TraderGoal.objects.get()
    assert (stored.trader, stored.year, stored.month, stored.goal_pen) == (trader, 2026, 11, D("100.00"))
    assert not AuditEntry.objects.filter(action=ReportAction.GOAL_CHANGED).exists()


@pytest.mark.parametrize(
    "value, message",
    [
        (D("-0.01"), "no puede ser negativa"),
        ("-5", "no puede ser negativa"),
        (None, "monto en soles"),
        ("abc", "monto en soles"),
        (D("NaN"), "monto en soles"),
        (D("Infinity"), "monto en soles"),
    ],
)
def test_goal_must_be_zero_or_more(master, trader, value, message):
    goal = new_goal(trader)
    goal.goal_pen = value
    with pytest.raises(ValidationError) as exc:
        services.save_trader_goal(goal, by=master)
    assert message in exc.value.message_dict["goal_pen"][0]
    assert not TraderGoal.objects.exists()


def test_a_zero_goal_is_allowed(master, trader):
    assert services.save_trader_goal(new_goal(trader, "0.00"), by=master).pk


def test_the_model_validators_apply(master, trader):
    with pytest.raises(ValidationError) as exc:
        services.save_trader_goal(new_goal(trader, year=2019), by=master)
    assert "year" in exc.value.message_dict


def test_a_duplicate_trader_and_month_is_a_spanish_validation_error(master, trader, goal):
    """The database's unique constraint (also a race between two saves) becomes a message, not a 500."""
    with pytest.raises(ValidationError) as exc:
        services.save_trader_goal(new_goal(trader, "5.00"), by=master)
    assert exc.value.messages == [f"{trader} ya tiene una meta para noviembre de 2026; cambie esa meta."]
    # The savepoint kept the surrounding transaction usable, and only the first goal exists.
    assert list(TraderGoal.objects.values_list("goal_pen", flat=True)) == [D("100.00")]
    assert AuditEntry.objects.filter(action=ReportAction.GOAL_CREATED).count() == 1


def test_admin_shows_a_service_refusal_on_the_form(master_client, trader, goal, monkeypatch):
    """A race the form cannot see (the same goal saved twice at once): a Spanish message, no 500."""
    # Every check runs before the other save commits, so they find nothing; the insert then fails.
    real_validate, real_save = TraderGoal.validate_constraints, TraderGoal.save
    inserting = []

    def validate(self, exclude=None):
        if inserting:
            real_validate(self, exclude)

    def save(self, *args, **kwargs):
        inserting.append(True)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(TraderGoal, "validate_unique", lambda self, exclude=None: None)
    monkeypatch.setattr(TraderGoal, "validate_constraints", validate)
    monkeypatch.setattr(TraderGoal, "save", save)
    add = reverse("admin:reports_tradergoal_add")
    response = master_client.post(add, {"trader": trader.pk, "year": 2026, "month": 11, "goal_pen": "7.00"})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == [f"{trader} ya tiene una meta para noviembre de 2026; cambie esa meta."]
    assert form["goal_pen"].value() == "7.00"
    assert TraderGoal.objects.count() == 1
