"""The "Saldos bancarios" pages: balances of the house accounts at the end of a day, the day's
movements, the forms of the treasury services, a day's reconciliation and the Excel file.

Every view checks its permission itself (view_treasury to read, manage_treasury to write) and
calls operations.services for anything it changes.
"""

import datetime as dt
import tempfile

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from operations import services, treasury, treasury_excel
from operations.models import HouseBankAccount, TreasuryEntry
from operations.services.common import parse_id
from operations.treasury_forms import (
    MovementForm,
    OpeningForm,
    ReasonForm,
    ReconcileForm,
    StatementForm,
    show_refusal,
)
from qoricash import display

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def day_from_query(request):
    """The ?date= of the request (today by default); a bad or future date falls back to today with a message."""
    today = treasury.lima_today()
    value = (request.GET.get("date") or "").strip()
    if not value:
        return today
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        messages.error(request, _("“%(value)s” is not a valid date: showing today.") % {"value": value[:40]})
        return today
    if day > today or day.year < 2000:
        messages.error(
            request, _("%(date)s is outside the dates with balances: showing today.") % {"date": display.date(day)}
        )
        return today
    return day


def page_url(day=None):
    url = reverse("admin:operations_treasury")
    return f"{url}?{urlencode({'date': day.isoformat()})}" if day else url


def day_url(account, day):
    return reverse("admin:operations_treasury_day") + "?" + urlencode({"account": account.pk, "date": day.isoformat()})


def _context(request, title, **extra):
    return {**admin.site.each_context(request), "title": title, **extra}


def balances_view(request):
    _require(request, "operations.view_treasury")
    day = day_from_query(request)
    today = treasury.lima_today()
    rows = treasury.balances(day)
    movements = treasury.day_movements(day)
    for row in rows:
        row.movements = movements.get(row.account.pk, [])
        row.day_url = day_url(row.account, day)
    can_manage = request.user.has_perm("operations.manage_treasury")
    context = _context(
        request,
        _("Bank balances"),
        day=day,
        today=today,
        is_today=day == today,
        day_text=date_format(day, "l j \\d\\e F \\d\\e Y").lower(),
        rows=rows,
        totals=treasury.totals_by_currency(rows),
        warnings=treasury.coverage_warnings() if day == today else [],
        previous_url=page_url(day - dt.timedelta(days=1)),
        next_url=page_url(day + dt.timedelta(days=1)) if day < today else None,
        today_url=page_url(),
        xlsx_url=reverse("admin:operations_treasury_xlsx") + "?" + urlencode({"date": day.isoformat()}),
        can_manage=can_manage,
        movement_url=reverse("admin:operations_treasury_movement") if can_manage else None,
        opening_url=reverse("admin:operations_treasury_opening") if can_manage else None,
        void_base=reverse("admin:operations_treasury_void") if can_manage else None,
    )
    return TemplateResponse(request, "operations/treasury/balances.html", context)


def _form_page(request, form_class, run, title, done, initial=None):
    _require(request, "operations.manage_treasury")
    form = form_class(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = run(form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, done(result))
            return HttpResponseRedirect(page_url(result.date))
    context = _context(request, title, form=form, back_url=page_url())
    return TemplateResponse(request, "operations/treasury/form.html", context)


@require_http_methods(["GET", "POST"])
def opening_view(request):
    def run(data):
        return services.set_opening_balance(by=request.user, **data)

    return _form_page(
        request,
        OpeningForm,
        run,
        _("Set an opening balance"),
        lambda o: _("Opening balance of %(account)s on %(date)s: %(amount)s.")
        % {"account": o.account, "date": display.date(o.date), "amount": display.money(o.amount, o.account.currency)},
        initial={"date": treasury.lima_today()},
    )


@require_http_methods(["GET", "POST"])
def movement_view(request):
    def run(data):
        return services.record_movement(by=request.user, **data)

    return _form_page(
        request,
        MovementForm,
        run,
        _("Register a treasury movement"),
        lambda e: _("%(kind)s of %(date)s registered.") % {"kind": e.get_kind_display(), "date": display.date(e.date)},
        initial={"date": treasury.lima_today(), "kind": request.GET.get("kind") or None},
    )


@require_http_methods(["GET", "POST"])
def void_view(request):
    _require(request, "operations.manage_treasury")
    pk = parse_id(request.GET.get("entry"))
    entry = TreasuryEntry.objects.select_related("created_by").filter(pk=pk).first() if pk else None
    if entry is None:
        messages.error(request, _("That treasury movement does not exist."))
        return HttpResponseRedirect(page_url())
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.void_entry(entry, by=request.user, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            show_refusal(form, exc)
        else:
            messages.success(
                request,
                _("Movement voided: a voiding entry dated %(date)s cancels it.") % {"date": display.date(entry.date)},
            )
            return HttpResponseRedirect(page_url(entry.date))
    legs = list(entry.legs.select_related("account"))
    context = _context(
        request,
        _("Void a treasury movement"),
        form=form,
        entry=entry,
        legs=legs,
        back_url=page_url(entry.date),
    )
    return TemplateResponse(request, "operations/treasury/void.html", context)


@require_http_methods(["GET", "POST"])
def day_view(request):
    """One account's day: the statement's closing balance against the system's, the movements, and
    reconciling or reopening the day."""
    _require(request, "operations.view_treasury")
    account = HouseBankAccount.objects.filter(pk=parse_id(request.GET.get("account"))).first()
    if account is None:
        messages.error(request, _("Choose a house account."))
        return HttpResponseRedirect(page_url())
    day = day_from_query(request)
    here = day_url(account, day)
    action = request.POST.get("action") if request.method == "POST" else None
    forms = {
        "statement": StatementForm(request.POST if action == "statement" else None),
        "reconcile": ReconcileForm(request.POST if action == "reconcile" else None),
        "reopen": ReasonForm(request.POST if action == "reopen" else None),
    }
    if action in forms:
        _require(request, "operations.manage_treasury")
        form = forms[action]
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "statement":
                    services.enter_statement(by=request.user, account=account, date=day, **data)
                    done = _("Statement closing balance saved.")
                elif action == "reconcile":
                    services.reconcile_day(by=request.user, account=account, date=day, **data)
                    done = _("Day reconciled.")
                else:
                    services.reopen_day(by=request.user, account=account, date=day, **data)
                    done = _("Day reopened: it can receive back-dated movements again.")
            except (ValidationError, PermissionDenied) as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, done)
                return HttpResponseRedirect(here)
    (row,) = treasury.balances(day, HouseBankAccount.objects.filter(pk=account.pk))
    statement = account.statements.filter(date=day).select_related("entered_by", "reconciled_by").first()
    if statement and not forms["statement"].is_bound:
        forms["statement"].initial = {"closing_balance": statement.closing_balance}
    context = _context(
        request,
        _("Reconciliation of %(account)s") % {"account": account},
        account=account,
        day=day,
        day_text=date_format(day, "l j \\d\\e F \\d\\e Y").lower(),
        row=row,
        statement=statement,
        movements=treasury.day_movements(day, HouseBankAccount.objects.filter(pk=account.pk)).get(account.pk, []),
        forms=forms,
        can_manage=request.user.has_perm("operations.manage_treasury"),
        is_finished=day < treasury.lima_today(),
        back_url=page_url(day),
        previous_url=day_url(account, day - dt.timedelta(days=1)),
        next_url=day_url(account, day + dt.timedelta(days=1)) if day < treasury.lima_today() else None,
    )
    return TemplateResponse(request, "operations/treasury/day.html", context)


def balances_xlsx(request):
    _require(request, "operations.view_treasury")
    day = day_from_query(request)
    rows = treasury.balances(day)
    movements = treasury.day_movements(day)
    tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    try:
        treasury_excel.write_balances(day, rows, movements, tmp)
    except BaseException:
        tmp.close()
        raise
    tmp.seek(0)
    response = FileResponse(tmp, as_attachment=True, filename=treasury_excel.filename(day), content_type=XLSX)
    response["Cache-Control"] = "no-store"
    return response
