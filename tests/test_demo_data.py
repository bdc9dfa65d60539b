"""`make run`'s demo data shows the product: every trader has a portfolio, a goal with progress and
operations in every status, and no client belongs to someone who cannot hold a portfolio."""

import io

import pytest
import time_machine
from django.core.management import call_command

from clients.models import Client
from clients.policy import can_own_clients
from operations.models import Operation, OperationStatus
from reports import services as report_services
from reports.models import TraderGoal

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["now", "first minutes of a month"])
def seeded_at(request):
    """Seeded now, and just after midnight on the 1st, when today's queue must not fall into last month."""
    if request.param == "now":
        yield
        return
    with time_machine.travel("2026-12-01 00:20:00-05:00", tick=True):
        yield


def test_every_trader_has_a_portfolio_a_goal_in_progress_and_operations_in_every_status(seeded_at, settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    owners = {c.owner for c in Client.objects.select_related("owner")}
    assert all(can_own_clients(owner) for owner in owners)
    assert {u.username for u in owners} == {"trader", "trader2"}
    now = report_services.lima_now()
    for trader in owners:
        statuses = set(Operation.objects.filter(client__owner=trader).values_list("status", flat=True))
        assert statuses == set(OperationStatus.values), trader
        goal = TraderGoal.objects.get(trader=trader, year=now.year, month=now.month)
        assert report_services.trader_month_profit(trader, now.year, now.month) > 0, goal
