"""Reports: the position, the dashboard figures and goal progress, computed in the database.

One service computes each figure; the screen, the Excel files and the management commands all call
it, so they can never disagree. The only writes are `save_trader_goal` (the one business action of
this app) and `record_report_access`, through which every report view and export leaves its trace
in the audit trail.

Conventions (decided here and pinned by the tests):
- Dates are Lima dates; an operation belongs to a day by its `created_at` in America/Lima.
- The position covers non-cancelled operations; "open" means pending or in process.
- net_usd = USD bought − USD sold: positive → "COMPRADOS EN", negative → "VENDIDOS EN", 0 → "NETEADOS".
- Average rates are volume-weighted (ΣPEN / ΣUSD) rounded to 4 dp; the matched-volume spread uses
  those displayed averages, so anyone can recompute it from the screen.
- Profit has one definition, `profit_figures`, used by every screen and file: "utilidad realizada" is
  Σ profit_pen of completed operations dated by `completed_at` (Lima); "utilidad esperada" is
  Σ profit_pen of the non-cancelled operations (pending and in process included) dated by
  `created_at`, the same operations as the position.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear, Mod
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from operations.models import Operation, OperationStatus, OperationType
from qoricash import display, money

from .audit_actions import ReportAction
from .models import TraderGoal

LIMA = ZoneInfo("America/Lima")
ZERO = money.ZERO
OPEN_STATUSES = (OperationStatus.PENDING, OperationStatus.IN_PROCESS)
# The screen lists at most this many rows per side (critical first; a normal day has fewer): rendering
# a busy day's 500 rows per side cost 0.4 s on every 30-second refresh. The Excel file has them all.
SCREEN_ROWS_PER_SIDE = 100

NET_BOUGHT = "COMPRADOS EN"
NET_SOLD = "VENDIDOS EN"
NET_FLAT = "NETEADOS"

_MONEY = DecimalField(max_digits=20, decimal_places=2)


# --- Dates -------------------------------------------------------------------------------------

# Report dates must fall in these years (inclusive). Nothing of ours is dated outside them, and
# 9999-12-31 + 1 day (the end of its Lima day) does not exist: a far-off date is bad input, not a 500.
MIN_YEAR = 2000
MAX_YEAR = 2100
# The longest period the position (screen and Excel file) covers: one leap year, both ends included.
POSITION_MAX_DAYS = 366
# How much of a bad value a message repeats (the value is typed by the user; it may be huge).
_SHOWN_CHARS = 40


def lima_now(now=None) -> dt.datetime:
    return timezone.localtime(now or timezone.now(), LIMA)


def lima_today(now=None) -> dt.date:
    return lima_now(now).date()


def day_bounds(date_from: dt.date, date_to: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[00:00 of date_from, 00:00 of the day after date_to) in Lima, as aware datetimes."""
    date_to = date_to or date_from
    check_window(date_from)
    check_window(date_to)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=LIMA)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=LIMA)
    return start, end


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    first = dt.date(year, month, 1)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return day_bounds(first, following - dt.timedelta(days=1))


def _shown(value) -> str:
    text = str(value if value is not None else "")
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


def check_window(day: dt.date, label: str | None = None):
    """ValidationError (Spanish, safe to show) unless `day` falls in MIN_YEAR..MAX_YEAR."""
    if MIN_YEAR <= day.year <= MAX_YEAR:
        return
    raise ValidationError(
        pgettext("report", "%(label)s: %(date)s is outside the years %(min)s to %(max)s.")
        % {
            "label": label or pgettext("report", "Date"),
            "date": display.date(day),
            "min": MIN_YEAR,
            "max": MAX_YEAR,
        }
    )


def parse_date(value: str, label: str) -> dt.date:
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationError(
            _("%(label)s: “%(value)s” is not a valid date (use YYYY-MM-DD).") % {"label": label, "value": _shown(value)}
        )
    check_window(day, label)
    return day


def check_range(date_from: dt.date, date_to: dt.date, max_days: int | None = None):
    """ValidationError if the period is reversed or, with `max_days`, longer than that many days."""
    if date_from > date_to:
        raise ValidationError(
            _("The start date (%(start)s) is after the end date (%(end)s).")
            % {"start": display.date(date_from), "end": display.date(date_to)}
        )
    days = (date_to - date_from).days + 1
    if max_days is not None and days > max_days:
        raise ValidationError(
            pgettext(
                "report",
                "The period from %(start)s to %(end)s covers %(days)s days; a report covers at most "
                "%(max)s days. Choose a shorter period.",
            )
            % {"start": display.date(date_from), "end": display.date(date_to), "days": days, "max": max_days}
        )


def local_naive(value: dt.datetime | None) -> dt.datetime | None:
    """Lima wall-clock time without tzinfo: what a spreadsheet cell can hold."""
    if value is None:
        return None
    return timezone.localtime(value, LIMA).replace(tzinfo=None)


# --- Names shared by the screen and the files -------------------------------------------------

CLIENT_FIELDS = (
    "client__document_type",
    "client__document_number",
    "client__razon_social",
    "client__apellido_paterno",
    "client__apellido_materno",
    "client__nombres",
)


def client_name(row: dict) -> str:
    """Client.display_name, from a values() row (no model instance per row)."""
    if row["client__document_type"] == "RUC":
        return (row["client__razon_social"] or "").upper()
    parts = (row["client__apellido_paterno"], row["client__apellido_materno"], row["client__nombres"])
    return " ".join(p for p in parts if p).upper()


def user_display_name(row: dict, prefix: str) -> str:
    """User.display_name, from a values() row (no model instance per row); "" for no user."""
    username = row.get(f"{prefix}__username")
    if not username:
        return ""
    return _display_name(username, row.get(f"{prefix}__first_name") or "", row.get(f"{prefix}__last_name") or "")


@lru_cache(maxsize=1024)
def _display_name(username, first_name, last_name):
    # A history export has a handful of users and up to a million rows: build each name once.
    from django.contrib.auth import get_user_model

    return get_user_model()(username=username, first_name=first_name, last_name=last_name).display_name


def status_label(code: str) -> str:
    return str(OperationStatus(code).label)


def type_label(code: str) -> str:
    return str(OperationType(code).label)


# --- Position ---------------------------------------------------------------------------------


@dataclass
class Side:
    """One side (Compras or Ventas) of the position: all non-cancelled, split completed / open."""

    usd: Decimal = ZERO
    pen: Decimal = ZERO
    count: int = 0
    usd_completed: Decimal = ZERO
    pen_completed: Decimal = ZERO
    count_completed: int = 0
    usd_open: Decimal = ZERO
    pen_open: Decimal = ZERO
    count_open: int = 0
    profit: Decimal = ZERO

    @property
    def completed_share(self) -> int:
        """Percentage of the side's USD already completed (for the bar on screen)."""
        return int(self.usd_completed * 100 / self.usd) if self.usd else 0

    @property
    def avg_rate(self) -> Decimal | None:
        """Volume-weighted average rate ΣPEN / ΣUSD, 4 dp; None when nothing was traded."""
        return money.rate(self.pen / self.usd) if self.usd else None


@dataclass
class PositionRow:
    id: int
    code: str
    type: str
    client: str
    document: str
    usd: Decimal
    rate: Decimal
    pen: Decimal
    status: str
    status_label: str
    created_at: dt.datetime
    trader: str
    critical: bool
    critical_reason: str


@dataclass
class Position:
    date_from: dt.date
    date_to: dt.date
    generated_at: dt.datetime
    buy: Side
    sell: Side
    imbalance_limit: Decimal
    critical_hours: int
    critical_usd: Decimal
    buys: list[PositionRow] = field(default_factory=list)
    sells: list[PositionRow] = field(default_factory=list)
    profit: ProfitFigures | None = None

    @property
    def is_single_day(self) -> bool:
        return self.date_from == self.date_to

    @property
    def count(self) -> int:
        return self.buy.count + self.sell.count

    @property
    def net_usd(self) -> Decimal:
        """USD bought − USD sold (signed)."""
        return self.buy.usd - self.sell.usd

    @property
    def net_abs(self) -> Decimal:
        return abs(self.net_usd)

    @property
    def net_label(self) -> str:
        if self.net_usd > 0:
            return NET_BOUGHT
        if self.net_usd < 0:
            return NET_SOLD
        return NET_FLAT

    @property
    def imbalance(self) -> bool:
        return self.net_abs > self.imbalance_limit

    @property
    def matched_usd(self) -> Decimal:
        return min(self.buy.usd, self.sell.usd)

    @property
    def matched_spread_pen(self) -> Decimal:
        """min(USD bought, USD sold) × (avg sell − avg buy), on the 4-dp averages shown."""
        if not self.matched_usd:
            return ZERO
        return money.cents(self.matched_usd * (self.sell.avg_rate - self.buy.avg_rate))

    @property
    def open_side(self) -> Side | None:
        if self.net_usd > 0:
            return self.buy
        if self.net_usd < 0:
            return self.sell
        return None

    @property
    def open_rate(self) -> Decimal | None:
        side = self.open_side
        return side.avg_rate if side else None

    @property
    def open_pen(self) -> Decimal:
        """The unmatched USD valued at the average rate of the side that has them."""
        rate = self.open_rate
        return money.cents(self.net_abs * rate) if rate is not None else ZERO

    @property
    def profit_pen(self) -> Decimal:
        """Σ profit_pen (base-rate spread) of the non-cancelled operations."""
        return self.buy.profit + self.sell.profit

    @property
    def critical_count(self) -> int:
        return sum(1 for r in self.buys + self.sells if r.critical)


def _sum(expr, flt):
    return Coalesce(Sum(expr, filter=flt), Value(ZERO), output_field=_MONEY)


def position_base(queryset, date_from, date_to):
    start, end = day_bounds(date_from, date_to)
    return queryset.not_cancelled().filter(created_at__gte=start, created_at__lt=end)


def _position_totals(base) -> tuple[Side, Side]:
    """Every figure of both sides in one query: a few sums per type and status, added up here.

    Grouping reads each row once with four sums; the same figures as twenty filtered sums per row
    took three times as long on a month of operations. Sums of 2-dp amounts are exact either way.
    """
    groups = (
        base.order_by()
        .values("type", "status")
        .annotate(usd=Sum("amount_usd"), pen=Sum("amount_pen"), count=Count("*"), profit=Sum("profit_pen"))
    )
    sides = {OperationType.BUY: Side(), OperationType.SELL: Side()}
    for group in groups:
        side = sides[group["type"]]
        suffixes = [""]
        if group["status"] == OperationStatus.COMPLETED:
            suffixes.append("_completed")
        elif group["status"] in OPEN_STATUSES:
            suffixes.append("_open")
        for suffix in suffixes:
            for figure in ("usd", "pen", "count"):
                name = figure + suffix
                setattr(side, name, getattr(side, name) + group[figure])
        side.profit += group["profit"]
    for side in sides.values():
        for f in fields(Side):
            value = getattr(side, f.name)
            if isinstance(value, Decimal):
                setattr(side, f.name, money.cents(value))
    return sides[OperationType.BUY], sides[OperationType.SELL]


ROW_FIELDS = (
    "id",
    "code",
    "type",
    "amount_usd",
    "rate",
    "amount_pen",
    "status",
    "created_at",
    *CLIENT_FIELDS,
    "trader__username",
    "trader__first_name",
    "trader__last_name",
)


def _critical_flags(base, now):
    """`base` with crit_age, crit_amount and critical (1 or 0), computed by the database."""
    too_old = now - dt.timedelta(hours=settings.POSITION_CRITICAL_HOURS)
    big = money.cents(settings.POSITION_CRITICAL_USD)
    return base.annotate(
        crit_age=Case(
            When(Q(status__in=OPEN_STATUSES, created_at__lt=too_old), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        crit_amount=Case(When(amount_usd__gte=big, then=Value(1)), default=Value(0), output_field=IntegerField()),
    ).annotate(
        critical=Case(
            When(Q(crit_age=1) | Q(crit_amount=1), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    )


ROW_ORDER = ("-critical", "-amount_usd", "-created_at", "-id")


def position_rows(base, now=None, limit=None):
    """Rows of the position, critical first (then largest amount): flags computed by the database.

    With `limit`, the first rows are chosen on the operations alone and only they are joined to
    their clients and traders: joined first, PostgreSQL may join a month's operations (or every
    client) before keeping a hundred of them.
    """
    now = now or timezone.now()
    if limit is not None:
        first = _critical_flags(base, now).order_by(*ROW_ORDER).values("pk")[:limit]
        base = Operation.objects.filter(pk__in=first)
    return _critical_flags(base, now).order_by(*ROW_ORDER).values(*ROW_FIELDS, "crit_age", "crit_amount", "critical")


def make_rows(rows):
    """A PositionRow for each values() row of position_rows; texts shared by every row are made once."""
    age = _("open more than %(hours)s h") % {"hours": settings.POSITION_CRITICAL_HOURS}
    amount = _("≥ %(usd)s USD") % {"usd": display.money(settings.POSITION_CRITICAL_USD)}
    reasons = {(0, 0): "", (1, 0): age, (0, 1): amount, (1, 1): f"{age}; {amount}"}  # by (crit_age, crit_amount)
    statuses = {code: status_label(code) for code in OperationStatus.values}
    for row in rows:
        yield PositionRow(
            id=row["id"],
            code=row["code"],
            type=row["type"],
            client=client_name(row),
            document=f"{row['client__document_type']} {row['client__document_number']}",
            usd=row["amount_usd"],
            rate=row["rate"],
            pen=row["amount_pen"],
            status=row["status"],
            status_label=statuses[row["status"]],
            created_at=row["created_at"],
            trader=user_display_name(row, "trader"),
            critical=bool(row["critical"]),
            critical_reason=reasons[row["crit_age"], row["crit_amount"]],
        )


def compute_position(queryset, date_from, date_to=None, *, rows_limit=SCREEN_ROWS_PER_SIDE, now=None) -> Position:
    """The position of a Lima day or range on `queryset` (already scoped with visible_to).

    Four queries whatever the number of operations: the totals, the profit figures, then the rows
    of each side (at most `rows_limit` each; None means all, for the Excel file).
    """
    date_to = date_to or date_from
    check_range(date_from, date_to)
    base = position_base(queryset, date_from, date_to)
    buy, sell = _position_totals(base)
    position = Position(
        date_from=date_from,
        date_to=date_to,
        generated_at=lima_now(now),
        buy=buy,
        sell=sell,
        imbalance_limit=money.cents(settings.POSITION_IMBALANCE_USD),
        critical_hours=settings.POSITION_CRITICAL_HOURS,
        critical_usd=money.cents(settings.POSITION_CRITICAL_USD),
        profit=profit_figures(queryset, date_from, date_to),
    )
    if rows_limit != 0:
        for side, target, total in (
            (OperationType.BUY, position.buys, buy.count),
            (OperationType.SELL, position.sells, sell.count),
        ):
            if total:
                target.extend(make_rows(position_rows(base.filter(type=side), now, rows_limit)))
    return position


def iter_position_rows(queryset, date_from, date_to, side, now=None, chunk_size=2000):
    """All rows of one side, streamed (the Excel file of a long range)."""
    base = position_base(queryset, date_from, date_to).filter(type=side)
    yield from make_rows(position_rows(base, now).iterator(chunk_size=chunk_size))


# --- History ----------------------------------------------------------------------------------

HISTORY_FIELDS = (
    "id",
    "code",
    "type",
    "amount_usd",
    "rate",
    "amount_pen",
    "source_snapshot",
    "destination_snapshot",
    "status",
    "created_at",
    *CLIENT_FIELDS,
    "trader__username",
    "trader__first_name",
    "trader__last_name",
    "assigned_operator__username",
    "assigned_operator__first_name",
    "assigned_operator__last_name",
    "processed_by__username",
    "processed_by__first_name",
    "processed_by__last_name",
    "created_by__email",
)


def history_queryset(queryset, date_from=None, date_to=None, statuses=None, trader=None):
    """The command's filters; the admin button uses the changelist's own queryset instead."""
    if date_from or date_to:
        start, end = day_bounds(date_from or date_to, date_to or date_from)
        if date_from:
            queryset = queryset.filter(created_at__gte=start)
        if date_to:
            queryset = queryset.filter(created_at__lt=end)
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    if trader is not None:
        queryset = queryset.filter(trader=trader)
    return queryset.order_by("-created_at", "-id")


def history_values(queryset):
    """Plain rows (values(), no model instances), newest first unless the queryset says otherwise."""
    if not queryset.query.order_by and not queryset.query.default_ordering:
        queryset = queryset.order_by("-created_at", "-id")
    return queryset.values(*HISTORY_FIELDS)


# --- Dashboard --------------------------------------------------------------------------------


def _today_aggregates(today_q) -> dict:
    live = ~Q(status=OperationStatus.CANCELLED)
    return {
        "total": Count("id", filter=today_q),
        **{f"count_{s}": Count("id", filter=today_q & Q(status=s)) for s in OperationStatus.values},
        "usd": _sum("amount_usd", today_q & live),
        "pen": _sum("amount_pen", today_q & live),
        "buy_usd": _sum("amount_usd", today_q & live & Q(type=OperationType.BUY)),
        "sell_usd": _sum("amount_usd", today_q & live & Q(type=OperationType.SELL)),
        "clients": Count("client", filter=today_q & live, distinct=True),
    }


def _with_statuses(data) -> dict:
    data["by_status"] = [
        {"code": s, "label": str(label), "count": data[f"count_{s}"]} for s, label in OperationStatus.choices
    ]
    return data


def today_figures(queryset, now=None) -> dict:
    """Today's operations (created today, Lima) on a scoped queryset: one aggregate query."""
    start, end = day_bounds(lima_today(now))
    today_q = Q(created_at__gte=start, created_at__lt=end)
    return _with_statuses(queryset.filter(today_q).aggregate(**_today_aggregates(today_q)))


# --- Profit: one definition ---------------------------------------------------------------------

REALISED_LABEL = pgettext_lazy("profit", "Realised profit")
EXPECTED_LABEL = pgettext_lazy("profit", "Expected profit")


@dataclass(frozen=True)
class ProfitFigures:
    """The two named profit figures of a Lima period (see the module's conventions)."""

    realised: Decimal
    expected: Decimal


def realised_filter(start, end) -> Q:
    return Q(status=OperationStatus.COMPLETED, completed_at__gte=start, completed_at__lt=end)


def expected_filter(start, end) -> Q:
    return ~Q(status=OperationStatus.CANCELLED) & Q(created_at__gte=start, created_at__lt=end)


def profit_figures(queryset, date_from: dt.date, date_to: dt.date | None = None) -> ProfitFigures:
    """Realised and expected profit of a Lima day or range on a scoped queryset, in one aggregate query."""
    start, end = day_bounds(date_from, date_to)
    realised, expected = realised_filter(start, end), expected_filter(start, end)
    data = queryset.filter(realised | expected).aggregate(
        realised=_sum("profit_pen", realised), expected=_sum("profit_pen", expected)
    )
    return ProfitFigures(realised=money.cents(data["realised"]), expected=money.cents(data["expected"]))


def realised_profit(queryset, now=None) -> dict:
    """The dashboard's profit: {"today": ProfitFigures, "month": ProfitFigures} (Lima), by profit_figures."""
    return dashboard_figures(queryset, now, profit=True)[1]


def dashboard_figures(queryset, now=None, *, profit=False) -> tuple[dict, dict | None]:
    """(today_figures, realised_profit or None) in one aggregate query: every row is of this Lima
    month (created, or completed, since the 1st), so the query reads one month whatever the years
    of data, and the index pays one query for its figures instead of three."""
    today = lima_today(now)
    day_start, day_end = day_bounds(today)
    today_q = Q(created_at__gte=day_start, created_at__lt=day_end)
    aggregates = _today_aggregates(today_q)
    scope = today_q
    if profit:
        month_start, month_end = day_bounds(today.replace(day=1), today)
        periods = {"today": (day_start, day_end), "month": (month_start, month_end)}
        for name, (start, end) in periods.items():
            aggregates[f"{name}_realised"] = _sum("profit_pen", realised_filter(start, end))
            aggregates[f"{name}_expected"] = _sum("profit_pen", expected_filter(start, end))
        scope = realised_filter(month_start, month_end) | expected_filter(month_start, month_end) | today_q
    data = queryset.filter(scope).aggregate(**aggregates)
    figures = _with_statuses({k: v for k, v in data.items() if not k.endswith(("_realised", "_expected"))})
    if not profit:
        return figures, None
    profits = {
        name: ProfitFigures(
            realised=money.cents(data[f"{name}_realised"]), expected=money.cents(data[f"{name}_expected"])
        )
        for name in ("today", "month")
    }
    return figures, profits


# --- Goals ------------------------------------------------------------------------------------


class LimaMonthStart(Func):
    """Midnight in Lima on the first day of (year, month), as a timestamp (PostgreSQL)."""

    template = f"make_timestamptz(%(expressions)s, 1, 0, 0, 0, '{LIMA.key}')"
    output_field = DateTimeField()


def _in_goal_month(ops, year=None, month=None):
    """`ops` completed in the goal's Lima month: (year, month) when every goal is of that month, else
    the goal's own (OuterRef). A range on completed_at, which an index serves (EXTRACT(month …) reads
    every operation of the trader); outside PostgreSQL, the extracted year and month."""
    if year is not None:
        start, end = month_bounds(year, month)
        return ops.filter(completed_at__gte=start, completed_at__lt=end)
    if connection.vendor != "postgresql":
        ops = ops.annotate(_y=ExtractYear("completed_at", tzinfo=LIMA), _m=ExtractMonth("completed_at", tzinfo=LIMA))
        return ops.filter(_y=OuterRef("year"), _m=OuterRef("month"))
    month = ExpressionWrapper(OuterRef("month"), output_field=IntegerField())
    year = ExpressionWrapper(OuterRef("year"), output_field=IntegerField())
    next_year = ExpressionWrapper(year + month / 12, output_field=IntegerField())
    next_month = ExpressionWrapper(Mod(month, 12) + 1, output_field=IntegerField())
    return ops.filter(
        completed_at__gte=LimaMonthStart(year, month), completed_at__lt=LimaMonthStart(next_year, next_month)
    )


def _achieved_subquery(year=None, month=None):
    """The realised profit (profit_figures' definition) of the goal's trader in the goal's Lima month,
    as a subquery so a list of goals is one query."""
    completed = Operation.objects.filter(trader=OuterRef("trader"), status=OperationStatus.COMPLETED)
    ops = (
        _in_goal_month(completed, year, month)
        .order_by()
        .values("trader")
        .annotate(total=Sum("profit_pen"))
        .values("total")
    )
    return Coalesce(Subquery(ops, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def goals_with_progress(queryset, year=None, month=None):
    """Annotate TraderGoals with `achieved` (computed from operations, never typed). Give the
    (year, month) when `queryset` holds goals of that month only (the index panel): the range is
    then known when the query is planned."""
    if year is not None:
        queryset = queryset.filter(year=year, month=month)
    return queryset.annotate(achieved=_achieved_subquery(year, month))


def goal_progress(goal_pen: Decimal, achieved: Decimal) -> dict:
    achieved = money.cents(achieved or ZERO)
    goal_pen = money.cents(goal_pen)
    ratio = (achieved / goal_pen * 100) if goal_pen > 0 else (Decimal(100) if achieved >= 0 else ZERO)
    percent = money.percent(ratio)  # one decimal, HALF_UP like every figure (money.py rounds, nobody else)
    return {
        "goal": goal_pen,
        "achieved": achieved,
        "remaining": max(goal_pen - achieved, ZERO),
        "percent": percent,
        "bar": int(max(min(percent, Decimal(100)), ZERO)),
        "reached": achieved >= goal_pen,
    }


def trader_month_profit(trader, year, month) -> Decimal:
    """The trader's realised profit of a month (what a goal is measured against)."""
    first = dt.date(year, month, 1)
    last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return profit_figures(Operation.objects.filter(trader=trader), first, last).realised


def goal_eligible_traders():
    """Who can hold a goal: active users who create operations on their own portfolio.

    By permission, never by group name: holders of operations.add_operation without
    operations.view_all_operations (those are supervisors, not account executives).
    """
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    supervisors = user_model.objects.with_perm("operations.view_all_operations", active_only=False)
    return (
        user_model.objects.with_perm("operations.add_operation", include_superusers=False)
        .exclude(pk__in=supervisors.values("pk"))
        .order_by("first_name", "last_name", "username")
    )


@transaction.atomic
def save_trader_goal(goal, *, by):
    """Create (no pk yet) or change a goal's amount, and audit it.

    Who and when are decided here; what a goal is (amount ≥ 0 in soles, year 2020–2100, month 1–12,
    one per trader and month) is the model's, checked by full_clean():
    - creating needs reports.add_tradergoal, changing reports.change_tradergoal and a goal visible
      to `by` (TraderGoal.visible_to);
    - a new goal's trader must be eligible: goal_eligible_traders(), by permission;
    - a goal is one trader's one month: trader, year and month never change (only the amount).
    Refusals raise PermissionDenied / ValidationError with a Spanish message; nothing is saved.
    """
    from accounts import audit

    created = goal.pk is None
    perm = "reports.add_tradergoal" if created else "reports.change_tradergoal"
    if by is None or not by.has_perm(perm):
        raise PermissionDenied(
            pgettext("report", "You are not allowed to set trader goals.")
            if created
            else pgettext("report", "You are not allowed to change trader goals.")
        )
    goal.set_by = by
    before = {}
    if created:
        goal.full_clean()
        if not goal_eligible_traders().filter(pk=goal.trader_id).exists():
            raise ValidationError(
                {
                    "trader": pgettext(
                        "report",
                        "%(user)s cannot hold a goal: only active users who create operations on their own "
                        "portfolio can.",
                    )
                    % {"user": goal.trader}
                }
            )
    else:
        current = TraderGoal.objects.visible_to(by).select_for_update().filter(pk=goal.pk).first()
        if current is None:
            raise PermissionDenied(pgettext("report", "This goal does not exist or is not visible to you."))
        if (current.trader_id, current.year, current.month) != (goal.trader_id, goal.year, goal.month):
            raise ValidationError(
                pgettext(
                    "report",
                    "A goal is one trader's one month: only its amount can change. For another trader or "
                    "month, create another goal.",
                )
            )
        goal.full_clean()
        before = audit.snapshot(current)

    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives a duplicate
            if created:
                goal.save(force_insert=True)
            else:
                goal.save(update_fields=["goal_pen", "set_by", "updated_at"])
    except IntegrityError:
        # Another request saved the same trader and month after our check: the model says why.
        goal.validate_constraints()
        raise
    after = audit.snapshot(goal, fields=("trader", "year", "month", "goal_pen", "set_by"))
    audit.record(
        ReportAction.GOAL_CREATED if created else ReportAction.GOAL_CHANGED,
        goal,
        actor=by,
        changes=audit.diff(before, after),
    )
    return goal


# --- Audit ------------------------------------------------------------------------------------


def record_report_access(action: ReportAction, detail: str, *, by):
    """The single audit hook of every report view and export (web and command; `by` None for a command)."""
    from accounts import audit

    audit.record(
        action,
        actor=by,
        object_type="reports.report",
        object_repr=action.value,
        message=detail,
    )
