"""Position, dashboard and goal arithmetic on hand-computed cases."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from operations.models import Operation, OperationStatus
from reports import services
from reports.models import TraderGoal

from .conftest import lima

D = Decimal
DAY = dt.date(2026, 11, 20)
pytestmark = pytest.mark.django_db


def position(day=DAY, to=None, qs=None, **kwargs):
    return services.compute_position(qs if qs is not None else Operation.objects.all(), day, to, **kwargs)


def test_acceptance_case_weighted_averages_net_and_matched_spread(make_op):
    # 10,000 USD bought at 3.70 (in two operations) and 6,000 USD sold at 3.75.
    make_op("buy", "6000.00", "3.7000", at=lima(2026, 11, 20, 9))
    make_op("buy", "4000.00", "3.7000", at=lima(2026, 11, 20, 10), status=OperationStatus.COMPLETED)
    make_op("sell", "6000.00", "3.7500", at=lima(2026, 11, 20, 11))

    p = position()

    assert p.buy.usd == D("10000.00") and p.buy.pen == D("37000.00") and p.buy.count == 2
    assert p.sell.usd == D("6000.00") and p.sell.pen == D("22500.00") and p.sell.count == 1
    assert p.buy.avg_rate == D("3.7000") and str(p.buy.avg_rate) == "3.7000"
    assert p.sell.avg_rate == D("3.7500")
    assert p.net_usd == D("4000.00") and p.net_abs == D("4000.00")
    assert p.net_label == "COMPRADOS EN"
    assert p.matched_usd == D("6000.00")
    assert p.matched_spread_pen == D("300.00")
    assert p.open_side is p.buy and p.open_rate == D("3.7000") and p.open_pen == D("14800.00")
    # Σ profit_pen: buys 10,000 × (3.72 − 3.70) = 200.00; sells 6,000 × (3.75 − 3.72) = 180.00.
    assert p.profit_pen == D("380.00")
    # Completed vs pending / in process.
    assert (p.buy.usd_completed, p.buy.count_completed) == (D("4000.00"), 1)
    assert (p.buy.usd_open, p.buy.count_open, p.buy.pen_open) == (D("6000.00"), 1, D("22200.00"))
    assert p.imbalance is False  # 4,000 ≤ 5,000


def test_unequal_volumes_are_volume_weighted_not_a_mean_of_rates(make_op):
    make_op("buy", "1000.00", "3.7000", at=lima(2026, 11, 20, 9))  # 3,700.00
    make_op("buy", "3000.00", "3.7400", at=lima(2026, 11, 20, 9))  # 11,220.00
    make_op("sell", "500.00", "3.7600", at=lima(2026, 11, 20, 9))  # 1,880.00
    make_op("sell", "1500.00", "3.7533", at=lima(2026, 11, 20, 9))  # 5,629.95

    p = position()

    # 14,920.00 / 4,000 = 3.73 (the unweighted mean would be 3.72).
    assert p.buy.avg_rate == D("3.7300")
    # 7,509.95 / 2,000 = 3.754975 → 3.7550 (HALF_UP at 4 dp).
    assert p.sell.pen == D("7509.95")
    assert p.sell.avg_rate == D("3.7550")
    assert p.net_usd == D("2000.00") and p.net_label == "COMPRADOS EN"
    # min(4,000, 2,000) × (3.7550 − 3.7300) = 50.00 — not "PEN sold − PEN bought" (−7,410.05).
    assert p.matched_spread_pen == D("50.00")
    assert p.open_pen == D("7460.00")  # 2,000 × 3.7300


def test_sold_more_than_bought_is_vendidos_en_and_imbalance_alert(make_op):
    make_op("buy", "1000.00", "3.7000", at=lima(2026, 11, 20, 9))
    make_op("sell", "7000.01", "3.7600", at=lima(2026, 11, 20, 9))

    p = position()

    assert p.net_usd == D("-6000.01") and p.net_abs == D("6000.01")
    assert p.net_label == "VENDIDOS EN"
    assert p.imbalance is True
    assert p.open_side is p.sell and p.open_rate == D("3.7600")
    assert p.matched_spread_pen == D("60.00")  # 1,000 × 0.06


def test_imbalance_limit_is_strict_and_configurable(make_op, settings):
    make_op("buy", "5000.00", "3.7000", at=lima(2026, 11, 20, 9))
    assert position().imbalance is False  # |net| = 5,000 is not more than 5,000
    settings.POSITION_IMBALANCE_USD = "4999.99"
    assert position().imbalance is True


def test_equal_volumes_are_neteados(make_op):
    make_op("buy", "2500.00", "3.7000", at=lima(2026, 11, 20, 9))
    make_op("sell", "2500.00", "3.7480", at=lima(2026, 11, 20, 9))

    p = position()

    assert p.net_usd == 0 and p.net_label == "NETEADOS"
    assert p.open_side is None and p.open_rate is None and p.open_pen == D("0.00")
    assert p.matched_spread_pen == D("120.00")  # 2,500 × 0.048


def test_empty_day(make_op):
    make_op("buy", "1000.00", at=lima(2026, 11, 19, 9))  # another day

    p = position()

    assert p.count == 0 and p.buys == [] and p.sells == []
    assert p.buy.usd == D("0.00") and p.sell.pen == D("0.00")
    assert p.buy.avg_rate is None and p.sell.avg_rate is None
    assert p.net_usd == 0 and p.net_label == "NETEADOS"
    assert p.matched_spread_pen == D("0.00") and p.profit_pen == D("0.00") and p.open_pen == D("0.00")
    assert p.imbalance is False and p.critical_count == 0


def test_cancelled_operations_are_excluded(make_op):
    make_op("buy", "1000.00", at=lima(2026, 11, 20, 9))
    make_op("buy", "9000.00", at=lima(2026, 11, 20, 9), status=OperationStatus.CANCELLED)
    make_op("sell", "3000.00", "3.7500", at=lima(2026, 11, 20, 9), status=OperationStatus.CANCELLED)

    p = position()

    assert p.buy.usd == D("1000.00") and p.buy.count == 1
    assert p.sell.count == 0 and p.sells == []
    assert [r.usd for r in p.buys] == [D("1000.00")]


def test_each_side_splits_completed_from_pending_and_in_process(make_op):
    # Buys: two pending, one in process, two completed; one cancelled (left out of every figure).
    make_op("buy", "100.00", "3.7000", at=lima(2026, 11, 20, 9))
    make_op("buy", "200.00", "3.7100", at=lima(2026, 11, 20, 9))
    make_op("buy", "400.00", "3.6900", at=lima(2026, 11, 20, 9), status=OperationStatus.IN_PROCESS)
    make_op("buy", "800.00", "3.7000", at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    make_op("buy", "1600.00", "3.6800", at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    make_op("buy", "3200.00", "3.7000", at=lima(2026, 11, 20, 9), status=OperationStatus.CANCELLED)
    # Sells: only one in process.
    make_op("sell", "50.00", "3.7500", at=lima(2026, 11, 20, 9), status=OperationStatus.IN_PROCESS)

    buy, sell = position().buy, position().sell

    # PEN: 370.00 + 742.00 + 1,476.00 (open); 2,960.00 + 5,888.00 (completed).
    assert (buy.usd, buy.pen, buy.count) == (D("3100.00"), D("11436.00"), 5)
    assert (buy.usd_open, buy.pen_open, buy.count_open) == (D("700.00"), D("2588.00"), 3)
    assert (buy.usd_completed, buy.pen_completed, buy.count_completed) == (D("2400.00"), D("8848.00"), 2)
    # Σ (3.72 − rate) × USD: 2.00 + 2.00 + 12.00 + 16.00 + 64.00.
    assert buy.profit == D("96.00")
    assert buy.completed_share == 77  # 2,400 / 3,100
    assert (sell.usd, sell.count, sell.usd_open, sell.count_open) == (D("50.00"), 1, D("50.00"), 1)
    assert (sell.usd_completed, sell.pen_completed, sell.count_completed) == (D("0.00"), D("0.00"), 0)
    assert sell.profit == D("1.50")  # 50 × (3.75 − 3.72)
    assert all(isinstance(getattr(buy, f), D) for f in ("usd", "pen_open", "usd_completed", "profit"))


def test_days_are_lima_days_at_the_midnight_boundaries(make_op):
    utc = dt.UTC
    # 2026-11-20 00:00 Lima = 05:00 UTC; 2026-11-21 00:00 Lima = 2026-11-21 05:00 UTC.
    make_op("buy", "1.00", at=dt.datetime(2026, 11, 20, 4, 59, 59, tzinfo=utc))  # 19th, 23:59:59 Lima
    make_op("buy", "2.00", at=dt.datetime(2026, 11, 20, 5, 0, 0, tzinfo=utc))  # 20th, 00:00:00 Lima
    make_op("buy", "4.00", at=dt.datetime(2026, 11, 21, 4, 59, 59, tzinfo=utc))  # 20th, 23:59:59 Lima (UTC 21st)
    make_op("buy", "8.00", at=dt.datetime(2026, 11, 21, 5, 0, 0, tzinfo=utc))  # 21st, 00:00:00 Lima

    assert position(dt.date(2026, 11, 19)).buy.usd == D("1.00")
    assert position(dt.date(2026, 11, 20)).buy.usd == D("6.00")
    assert position(dt.date(2026, 11, 21)).buy.usd == D("8.00")
    assert position(dt.date(2026, 11, 19), dt.date(2026, 11, 21)).buy.usd == D("15.00")


def test_range_and_reversed_range(make_op):
    make_op("buy", "100.00", at=lima(2026, 11, 18, 9))
    make_op("buy", "200.00", at=lima(2026, 11, 20, 9))
    p = position(dt.date(2026, 11, 18), dt.date(2026, 11, 20))
    assert p.buy.usd == D("300.00") and not p.is_single_day
    with pytest.raises(ValidationError, match="posterior|after"):
        position(dt.date(2026, 11, 20), dt.date(2026, 11, 18))


@time_machine.travel(lima(2026, 11, 20, 18), tick=False)
def test_critical_rows_first_with_reasons(make_op):
    old_pending = make_op("buy", "500.00", at=lima(2026, 11, 19, 17, 59))  # open 24 h 1 min
    recent = make_op("buy", "900.00", at=lima(2026, 11, 19, 18, 1))  # open 23 h 59 min
    old_completed = make_op("buy", "800.00", at=lima(2026, 11, 19, 9), status=OperationStatus.COMPLETED)
    big = make_op("buy", "10000.00", at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)
    big_open = make_op("buy", "12000.00", at=lima(2026, 11, 19, 8))

    p = position(dt.date(2026, 11, 19), dt.date(2026, 11, 20))
    codes = [r.code for r in p.buys]

    assert codes == [big_open.code, big.code, old_pending.code, recent.code, old_completed.code]
    flags = {r.code: (r.critical, r.critical_reason) for r in p.buys}
    assert flags[big_open.code][0] and "24" in flags[big_open.code][1] and "10,000.00" in flags[big_open.code][1]
    assert flags[old_pending.code][0] and "24" in flags[old_pending.code][1]
    assert flags[big.code] == (True, flags[big.code][1]) and "10,000.00" in flags[big.code][1]
    assert flags[recent.code][0] is False
    assert flags[old_completed.code][0] is False  # completed: not "open" any more
    assert p.critical_count == 3


@time_machine.travel(lima(2026, 11, 20, 18), tick=False)
def test_critical_thresholds_are_settings(make_op, settings):
    make_op("sell", "3000.00", "3.7500", at=lima(2026, 11, 20, 15))
    settings.POSITION_CRITICAL_HOURS = 2
    settings.POSITION_CRITICAL_USD = "2500.00"
    (row,) = position().sells
    assert row.critical and "2 h" in row.critical_reason and "2,500.00" in row.critical_reason


def test_screen_row_limit_keeps_totals_whole(make_op):
    for usd in ("100.00", "200.00", "300.00"):
        make_op("buy", usd, at=lima(2026, 11, 20, 9))
    p = position(rows_limit=2)
    assert [r.usd for r in p.buys] == [D("300.00"), D("200.00")]
    assert p.buy.count == 3 and p.buy.usd == D("600.00")
    assert position(rows_limit=0).buys == []


def test_position_is_scoped_by_visible_to(make_op, trader, other_trader):
    make_op("buy", "100.00", at=lima(2026, 11, 20, 9), owner=trader)
    make_op("buy", "700.00", at=lima(2026, 11, 20, 9), owner=other_trader)
    assert position(qs=Operation.objects.visible_to(trader)).buy.usd == D("100.00")
    assert position().buy.usd == D("800.00")


def test_position_queries_do_not_grow_with_operations(make_op, django_assert_num_queries):
    for i in range(6):
        make_op("buy" if i % 2 else "sell", "1000.00", "3.7300", at=lima(2026, 11, 20, 9))
    with django_assert_num_queries(4):  # aggregate + profit figures + buys + sells
        p = position()
    assert p.count == 6


@time_machine.travel(lima(2026, 11, 20, 18), tick=False)
def test_dashboard_today_and_realised_profit(make_op, trader, django_assert_num_queries):
    make_op("buy", "1000.00", at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)  # profit 20.00
    make_op("sell", "2000.00", "3.7500", at=lima(2026, 11, 20, 10), status=OperationStatus.IN_PROCESS)
    make_op("buy", "300.00", at=lima(2026, 11, 20, 11), status=OperationStatus.CANCELLED)
    make_op("buy", "500.00", at=lima(2026, 11, 20, 11), owner=trader)  # pending, another client
    # Created on the 19th, completed today: realised today (profit 40.00) but not "created today".
    make_op(
        "buy",
        "2000.00",
        at=lima(2026, 11, 19, 17),
        status=OperationStatus.COMPLETED,
        completed_at=lima(2026, 11, 20, 8),
    )
    # Completed earlier this month (profit 10.00) and last month (ignored).
    make_op("buy", "500.00", at=lima(2026, 11, 1, 0, 0, 1), status=OperationStatus.COMPLETED)
    make_op("buy", "900.00", at=lima(2026, 10, 31, 23, 59, 59), status=OperationStatus.COMPLETED)

    figures = services.today_figures(Operation.objects.all())
    assert figures["total"] == 4
    assert {s["code"]: s["count"] for s in figures["by_status"]} == {
        "pending": 1,
        "in_process": 1,
        "completed": 1,
        "cancelled": 1,
    }
    assert figures["usd"] == D("3500.00")  # cancelled excluded
    assert figures["pen"] == D("3700.00") + D("7500.00") + D("1850.00")
    assert figures["clients"] == 2

    profit = services.realised_profit(Operation.objects.all())
    assert profit["today"] == services.ProfitFigures(realised=D("60.00"), expected=D("90.00"))
    # Expected this month: everything created since the 1st and not cancelled (20 + 60 + 10 + 40 + 10).
    assert profit["month"] == services.ProfitFigures(realised=D("70.00"), expected=D("140.00"))

    own = services.today_figures(Operation.objects.visible_to(trader))
    assert own["total"] == 1 and own["usd"] == D("500.00")

    # The index reads both in one aggregate query, with the same figures.
    with django_assert_num_queries(1):
        merged, merged_profit = services.dashboard_figures(Operation.objects.all(), profit=True)
    assert merged == figures and merged_profit == profit
    with django_assert_num_queries(1):
        assert services.dashboard_figures(Operation.objects.visible_to(trader)) == (own, None)


def test_goal_progress_is_computed_from_completed_operations(make_op, trader, other_trader, master):
    goal = TraderGoal.objects.create(trader=trader, year=2026, month=11, goal_pen=D("100.00"), set_by=master)
    TraderGoal.objects.create(trader=other_trader, year=2026, month=11, goal_pen=D("50.00"), set_by=master)
    # trader: 20.00 + 30.00 completed in November (Lima), the rest must not count.
    make_op("buy", "1000.00", owner=trader, status=OperationStatus.COMPLETED, at=lima(2026, 11, 1, 0, 0, 0))
    make_op("buy", "1500.00", owner=trader, status=OperationStatus.COMPLETED, at=lima(2026, 11, 30, 23, 59, 59))
    make_op("buy", "9000.00", owner=trader, status=OperationStatus.COMPLETED, at=lima(2026, 10, 31, 23, 59, 59))
    make_op("buy", "9000.00", owner=trader, status=OperationStatus.COMPLETED, at=lima(2026, 12, 1, 0, 0, 0))
    make_op("buy", "9000.00", owner=trader, status=OperationStatus.PENDING, at=lima(2026, 11, 10))
    make_op("buy", "9000.00", owner=trader, status=OperationStatus.CANCELLED, at=lima(2026, 11, 10))
    make_op("buy", "5000.00", owner=other_trader, status=OperationStatus.COMPLETED, at=lima(2026, 11, 10))

    rows = {g.trader_id: g.achieved for g in services.goals_with_progress(TraderGoal.objects.all())}
    assert rows[trader.pk] == D("50.00")
    assert rows[other_trader.pk] == D("100.00")
    assert services.trader_month_profit(trader, 2026, 11) == D("50.00")
    # The goal's achieved is the realised profit, as profit_figures defines it.
    month = services.profit_figures(
        Operation.objects.filter(trader=trader), dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    )
    assert month.realised == rows[trader.pk]
    assert month.expected == D("50.00") + D("180.00")  # the pending one counts; cancelled does not

    progress = services.goal_progress(goal.goal_pen, rows[trader.pk])
    assert progress == {
        "goal": D("100.00"),
        "achieved": D("50.00"),
        "remaining": D("50.00"),
        "percent": D("50.0"),
        "bar": 50,
        "reached": False,
    }
    over = services.goal_progress(D("50.00"), D("100.00"))
    assert over["percent"] == D("200.0") and over["bar"] == 100 and over["reached"] and over["remaining"] == 0


def test_goal_eligible_traders_by_permission(trader, other_trader, master, operador):
    from accounts.tests.factories import UserFactory

    inactive = UserFactory(username="t_gone", role="Trader", is_active=False)
    eligible = set(services.goal_eligible_traders())
    assert trader in eligible and other_trader in eligible
    assert master not in eligible and operador not in eligible and inactive not in eligible


def test_month_bounds_december():
    start, end = services.month_bounds(2026, 12)
    assert start == lima(2026, 12, 1, 0) and end == lima(2027, 1, 1, 0)


@pytest.mark.parametrize(
    "goal, achieved, percent",
    [
        ("400.00", "49.00", "12.3"),  # 12.25 %: HALF_UP gives 12.3 (half-even would give 12.2)
        ("400.00", "51.00", "12.8"),  # 12.75 %
        ("400.00", "-49.00", "-12.3"),
        ("200.00", "0.01", "0.0"),  # 0.005 %
        ("2000.00", "1.00", "0.1"),  # 0.05 %: up, not to the even 0.0
    ],
)
def test_goal_percent_is_rounded_half_up_by_money_percent(goal, achieved, percent):
    assert services.goal_progress(D(goal), D(achieved))["percent"] == D(percent)


@time_machine.travel(lima(2026, 11, 20, 18), tick=False)
def test_one_definition_of_profit_on_the_position_and_the_dashboard(make_op):
    make_op("buy", "1000.00", at=lima(2026, 11, 20, 9), status=OperationStatus.COMPLETED)  # 20.00
    make_op("sell", "1000.00", "3.7500", at=lima(2026, 11, 20, 10), status=OperationStatus.IN_PROCESS)  # 30.00
    make_op("buy", "1000.00", at=lima(2026, 11, 20, 11), status=OperationStatus.CANCELLED)
    # Created yesterday, completed today: realised today, expected yesterday.
    make_op(
        "buy", "500.00", at=lima(2026, 11, 19, 9), status=OperationStatus.COMPLETED, completed_at=lima(2026, 11, 20, 8)
    )
    day = dt.date(2026, 11, 20)
    figures = services.profit_figures(Operation.objects.all(), day)
    assert figures == services.ProfitFigures(realised=D("30.00"), expected=D("50.00"))
    assert services.compute_position(Operation.objects.all(), day).profit == figures
    assert services.compute_position(Operation.objects.all(), day).profit_pen == figures.expected
    assert services.realised_profit(Operation.objects.all())["today"] == figures
