"""Demo monthly goals for the demo traders (seed_demo; never in production)."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from reports import services
from reports.models import TraderGoal

DEMO_GOALS = (("trader", Decimal("1500.00")), ("trader2", Decimal("900.00")))


def seed(stdout=None):
    users = get_user_model().objects.in_bulk([name for name, _goal in DEMO_GOALS] + ["master"], field_name="username")
    master = users.get("master")
    if master is None:
        return
    now = services.lima_now()
    previous = (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)
    count = 0
    for username, goal in DEMO_GOALS:
        trader = users.get(username)
        if trader is None:
            continue
        for year, month, amount in ((now.year, now.month, goal), (*previous, goal - Decimal("200.00"))):
            TraderGoal.objects.update_or_create(
                trader=trader, year=year, month=month, defaults={"goal_pen": amount, "set_by": master}
            )
            count += 1
    if stdout:
        stdout.write(f"  Metas de traders: {count}")
