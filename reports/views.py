"""Report pages under /admin/ (routed by admin.site.register_view in reports/admin.py) and panels.

Every view checks its permission itself, scopes operations with Operation.objects.visible_to and
leaves one audit entry through services.record_report_access.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models.constants import LOOKUP_SEP
from django.http import FileResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from clients.validators import mask
from operations.models import Operation, OperationType
from qoricash import background_exports

from . import excel, services
from .audit_actions import ReportAction
from .models import TraderGoal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Helpers ----------------------------------------------------------------------------------


def _require(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def period_from_query(query, today=None):
    """(date_from, date_to, error): ?date=YYYY-MM-DD, or ?from=…&to=…; today by default.

    Bad input never raises: it falls back to today and returns a Spanish message. Dates outside
    services.MIN_YEAR..MAX_YEAR and periods longer than services.POSITION_MAX_DAYS are bad input.
    """
    today = today or services.lima_today()
    try:
        if query.get("from") or query.get("to"):
            date_from = services.parse_date(query.get("from") or query.get("to"), pgettext("report", "From"))
            date_to = services.parse_date(query.get("to") or query.get("from"), pgettext("report", "To"))
            services.check_range(date_from, date_to, services.POSITION_MAX_DAYS)
            return date_from, date_to, None
        if query.get("date"):
            day = services.parse_date(query.get("date"), pgettext("report", "Date"))
            return day, day, None
    except ValidationError as exc:
        return today, today, " ".join(exc.messages)
    return today, today, None


def period_query(date_from, date_to):
    if date_from == date_to:
        return urlencode({"date": date_from.isoformat()})
    return urlencode({"from": date_from.isoformat(), "to": date_to.isoformat()})


def period_text(date_from, date_to):
    if date_from == date_to:
        # Spanish writes weekdays and months in lower case: "viernes 20 de noviembre de 2026".
        return date_format(date_from, "l j \\d\\e F \\d\\e Y").lower()
    return _("from %(start)s to %(end)s") % {
        "start": date_format(date_from, "SHORT_DATE_FORMAT"),
        "end": date_format(date_to, "SHORT_DATE_FORMAT"),
    }


def _spool(write):
    """Run write(file) into an anonymous temporary file on disk; returns (file, result).

    The file is handed to FileResponse, which streams it in chunks and closes (deletes) it.
    """
    tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    try:
        return tmp, write(tmp)
    except BaseException:
        tmp.close()
        raise


def _xlsx_response(tmp, filename):
    tmp.seek(0)
    response = FileResponse(tmp, as_attachment=True, filename=filename, content_type=XLSX)
    response["Cache-Control"] = "no-store"
    return response


# --- Position ---------------------------------------------------------------------------------

_PK_MARK = 9876543210


def _change_url_maker(url_name):
    """pk -> the change page's URL, resolved once instead of a reverse() for each of up to 200 rows."""
    head, tail = reverse(url_name, args=[_PK_MARK]).split(str(_PK_MARK))
    return lambda pk: f"{head}{pk}{tail}"


def _live_position(request, date_from, date_to):
    """What the refreshing part of the position page shows (the page and its 30-second refresh)."""
    position = services.compute_position(
        Operation.objects.visible_to(request.user), date_from, date_to, rows_limit=services.SCREEN_ROWS_PER_SIDE
    )
    change_url = _change_url_maker("admin:operations_operation_change")
    for row in position.buys + position.sells:
        row.url = change_url(row.id)
    return {
        "subtitle": period_text(date_from, date_to),
        "position": position,
        "can_view_profit": request.user.has_perm("reports.view_profit"),
        "rows_limit": services.SCREEN_ROWS_PER_SIDE,
        "history_url": reverse("admin:operations_operation_changelist"),
    }


def position_live(request):
    """The position page's figures and tables as HTML, for its 30-second refresh. Not audited: opening
    the page was (the refresh shows the same period to the same user)."""
    _require(request, "reports.view_position")
    date_from, date_to, _error = period_from_query(request.GET)
    context = _live_position(request, date_from, date_to)
    response = JsonResponse({"html": render_to_string("reports/_position_live.html", context, request=request)})
    response["Cache-Control"] = "no-store"
    return response


def position_view(request):
    _require(request, "reports.view_position")
    today = services.lima_today()
    date_from, date_to, error = period_from_query(request.GET, today)
    if error:
        messages.error(request, error)
    live = _live_position(request, date_from, date_to)
    position = live["position"]
    query = period_query(date_from, date_to)
    services.record_report_access(
        ReportAction.POSITION_VIEWED,
        _("Position viewed: %(period)s") % {"period": period_text(date_from, date_to)},
        by=request.user,
    )
    yesterday = today - dt.timedelta(days=1)
    context = {
        **admin.site.each_context(request),
        **live,
        "title": _("Position"),
        "live_url": reverse("admin:reports_position_live") + "?" + query,
        "is_today": position.is_single_day and date_from == today,
        "is_yesterday": position.is_single_day and date_from == yesterday,
        "today_url": "?" + period_query(today, today),
        "yesterday_url": "?" + period_query(yesterday, yesterday),
        "xlsx_url": reverse("admin:reports_position_xlsx") + "?" + query,
        "refresh_url": "?" + query,
        "date_value": date_from.isoformat(),
        "from_value": date_from.isoformat(),
        "to_value": date_to.isoformat(),
        "today": today,
    }
    return TemplateResponse(request, "reports/position.html", context)


def position_xlsx(request):
    _require(request, "reports.view_position")
    date_from, date_to, error = period_from_query(request.GET)
    if error:
        messages.error(request, error)
        return HttpResponseRedirect(reverse("admin:reports_position"))
    scoped = Operation.objects.visible_to(request.user)
    position = services.compute_position(scoped, date_from, date_to, rows_limit=0)
    rows = (
        services.iter_position_rows(scoped, date_from, date_to, OperationType.BUY),
        services.iter_position_rows(scoped, date_from, date_to, OperationType.SELL),
    )
    include_profit = request.user.has_perm("reports.view_profit")
    tmp, _result = _spool(lambda f: excel.write_position(position, f, include_profit=include_profit, rows=rows))
    filename = excel.position_filename(position)
    services.record_report_access(
        ReportAction.POSITION_EXPORTED,
        _("Position Excel %(file)s: %(count)s operations") % {"file": filename, "count": position.count},
        by=request.user,
    )
    return _xlsx_response(tmp, filename)


# --- History ----------------------------------------------------------------------------------


def operation_model_admin():
    """The operations list's ModelAdmin: the export reuses its filters and search as they are."""
    return admin.site.get_model_admin(Operation)


def changelist_queryset(request):
    """Exactly the rows the operations changelist selects for this querystring (filters, search, order).

    Raises IncorrectLookupParameters when the changelist would (its ?e=1 page) and InvalidFilters when a
    filter asks for a value the list does not offer (status__exact=zzz): an empty file would look like
    "no operations" when the question itself was wrong.
    """
    model_admin = operation_model_admin()
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    changelist = model_admin.get_changelist_instance(request)
    bad = invalid_filters(changelist)
    if bad:
        raise InvalidFilters(bad)
    # Belt and braces: the export applies the portfolio rule itself, whatever the admin does.
    return changelist.queryset.visible_to(request.user)


class InvalidFilters(Exception):
    """Filters of the querystring with values that are not among their choices; args[0]: their names."""


_CHOICE_LOOKUPS = {"exact": False, "iexact": False, "in": True}  # lookup -> comma-separated list


def _offered(choices):
    return {str(key) for key, _label in choices}


def invalid_filters(changelist):
    """Names of the filters whose value is not one the list offers (sorted, no repeats).

    Two checks: every lookup on a field with choices (status, status__exact, type__in, also when no
    filter of the sidebar consumed it) against the field's choices; and the sidebar's own filters
    (custom, related, all-values) against the options they list. Ranges, dates and searches are left
    to Django, which already turns a malformed one into IncorrectLookupParameters.
    """
    model = changelist.model
    bad = set()
    for key, values in changelist.get_filters_params().items():
        parts = key.split(LOOKUP_SEP)
        many = False
        if parts[-1] in _CHOICE_LOOKUPS:
            many = _CHOICE_LOOKUPS[parts.pop()]
        try:
            field = get_fields_from_path(model, LOOKUP_SEP.join(parts))[-1]
        except (FieldDoesNotExist, NotRelationField):
            continue
        if not getattr(field, "flatchoices", None):
            continue
        offered = _offered(field.flatchoices)
        wanted = [v for value in values for v in (value.split(",") if many else [value])]
        if any(v not in offered for v in wanted):
            bad.add(str(field.verbose_name))
    for spec in changelist.filter_specs:
        if isinstance(spec, admin.SimpleListFilter):
            wanted = [] if spec.value() is None else [spec.value()]
            offered = _offered(spec.lookup_choices)
        elif isinstance(spec, (admin.RelatedFieldListFilter, admin.AllValuesFieldListFilter)):
            wanted = list(spec.lookup_val or [])
            offered = (
                _offered(spec.lookup_choices)
                if isinstance(spec, admin.RelatedFieldListFilter)
                else {str(v) for v in spec.lookup_choices}
            )
        else:
            continue
        if any(str(v) not in offered for v in wanted):
            bad.add(str(spec.title))
    return sorted(bad)


def _account_masker(user):
    if user.has_perm("clients.view_full_accounts"):
        return None

    def masked(snapshot):
        head, _sep, number = (snapshot or "").rpartition(" ")
        return f"{head} {mask(number)}" if head else mask(number)

    return masked


def masked_rows(rows, masker):
    if masker is None:
        yield from rows
        return
    for row in rows:
        row["source_snapshot"] = masker(row["source_snapshot"])
        row["destination_snapshot"] = masker(row["destination_snapshot"])
        yield row


def _back_to_changelist(request, message):
    messages.error(request, message)
    return HttpResponseRedirect(reverse("admin:operations_operation_changelist"))


def history_xlsx(request):
    _require(request, "reports.export_history")
    try:
        queryset = changelist_queryset(request)
    except IncorrectLookupParameters:
        return _back_to_changelist(
            request, pgettext("report", "The filters of the list are not valid; nothing was exported.")
        )
    except InvalidFilters as exc:
        return _back_to_changelist(
            request,
            pgettext(
                "report",
                "Filter value the list does not offer: %(filters)s. Nothing was exported; choose the filters "
                "again in the list.",
            )
            % {"filters": ", ".join(f"«{name}»" for name in exc.args[0])},
        )
    if background_exports.too_large_for_a_request(queryset):
        background_exports.start("history", user=request.user, query=request.GET.urlencode())
        messages.info(request, background_exports.started_message())
        url = reverse("admin:operations_operation_changelist")
        return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
    tmp, (_rows, filename) = _spool(lambda f: write_history_file(request, queryset, f))
    return _xlsx_response(tmp, filename)


def write_history_file(request, queryset, target):
    """The history file of `queryset` for request.user into `target`, audited; returns (rows, filename)."""
    rows = services.history_values(queryset).iterator(chunk_size=2000)
    masker = _account_masker(request.user)
    include_creator = request.user.has_perm("operations.view_all_operations")
    totals = excel.write_history(masked_rows(rows, masker), target, include_creator=include_creator)
    filename = excel.history_filename()
    services.record_report_access(
        ReportAction.HISTORY_EXPORTED,
        _("History Excel %(file)s: %(count)s operations; filters: %(query)s")
        % {"file": filename, "count": totals["rows"], "query": request.GET.urlencode() or "-"},
        by=request.user,
    )
    return totals["rows"], filename


def build_history_export(request, target):
    """The background export's builder: the same selection as the list, replayed for the same user."""
    return write_history_file(request, changelist_queryset(request), target)


# --- Dashboard panels (admin.site.register_panel) ----------------------------------------------


def dashboard_panel(request):
    """Today's figures for the house (view_all_operations) or the user's own portfolio."""
    user = request.user
    if not user.has_perm("operations.view_operation"):
        return None
    scoped = Operation.objects.visible_to(user)
    today = services.lima_today()
    figures, profit = services.dashboard_figures(scoped, profit=user.has_perm("reports.view_profit"))
    ctx = {
        "today": today,
        "whole_house": user.has_perm("operations.view_all_operations"),
        "figures": figures,
        "profit": profit,
        "position_url": reverse("admin:reports_position") if user.has_perm("reports.view_position") else None,
        "operations_url": reverse("admin:operations_operation_changelist"),
    }
    return ctx


GOALS_PANEL_ROWS = 15


def goals_panel(request):
    """A trader's own monthly goal; for supervisors, this month's goals of every trader."""
    user = request.user
    if not user.has_perm("reports.view_tradergoal"):
        return None
    now = services.lima_now()
    goals = services.goals_with_progress(
        TraderGoal.objects.visible_to(user).select_related("trader"), year=now.year, month=now.month
    )
    month_label = pgettext("goal period", "%(month)s of %(year)s") % {
        "month": date_format(now.date(), "F"),
        "year": now.year,
    }
    if not user.has_perm("operations.view_all_operations"):
        goal = goals.filter(trader=user).first()
        return {
            "mode": "own",
            "month_label": month_label,
            "goal": goal,
            "progress": services.goal_progress(goal.goal_pen, goal.achieved) if goal else None,
        }
    rows = [
        {"goal": g, "progress": services.goal_progress(g.goal_pen, g.achieved)}
        for g in goals.order_by("trader__first_name", "trader__username")[:GOALS_PANEL_ROWS]
    ]
    return {
        "mode": "all",
        "month_label": month_label,
        "rows": rows,
        "goals_url": reverse("admin:reports_tradergoal_changelist"),
        "add_url": reverse("admin:reports_tradergoal_add") if user.has_perm("reports.add_tradergoal") else None,
    }
