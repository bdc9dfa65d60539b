"""Custom admin views of operations: transition confirmation pages, the operator queue (panel and
its refresh endpoint), the rates panel, and the client-accounts lookup of the operation form.

Every view checks permission itself (the admin wrapper only guarantees a logged-in staff user) and
calls `operations.services` for anything that changes data.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Subquery
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from clients.models import Client, Currency
from operations import panel_rows, policy, rate_guard, services
from operations.forms import TransitionForm, VoidForm
from operations.models import Deposit, EventAction, ExchangeRate, Operation, OperationType, Payout
from operations.transitions import TRANSITIONS, allowed_transitions
from qoricash import display


def duration(delta):
    """12 min · 1 h 05 min · 2 d 3 h"""
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def refusal_text(exc):
    """The Spanish text of a service refusal (ValidationError or PermissionDenied)."""
    if exc is None:
        return None
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


# --- Event descriptions (history inline) -------------------------------------------------------------------


def describe_event(ev):
    """One readable Spanish line for an event's data (escaped)."""
    op, data, action = ev.operation, ev.data or {}, ev.action
    if action == EventAction.CREATED:
        return _("US$ %(usd)s × %(rate)s = S/ %(pen)s") % {
            "usd": display.money(data.get("amount_usd", op.amount_usd)),
            "rate": display.rate(data.get("rate", op.rate)),
            "pen": display.money(data.get("amount_pen", op.amount_pen)),
        }
    if action == EventAction.AMOUNT_CHANGED:
        usd, pen = data.get("amount_usd", ["", ""]), data.get("amount_pen", ["", ""])
        return _("USD %(old)s → %(new)s (PEN %(old_pen)s → %(new_pen)s)") % {
            "old": display.money(usd[0]),
            "new": display.money(usd[1]),
            "old_pen": display.money(pen[0]),
            "new_pen": display.money(pen[1]),
        }
    if action in (
        EventAction.DEPOSIT_ADDED,
        EventAction.DEPOSIT_REMOVED,
        EventAction.DEPOSIT_VOIDED,
        EventAction.PAYOUT_ADDED,
        EventAction.PAYOUT_REMOVED,
        EventAction.PAYOUT_VOIDED,
    ):
        currency = op.client_sends_currency if action.startswith("deposit") else op.client_receives_currency
        parts = [display.money(data.get("amount"), currency)]
        if data.get("bank_reference"):
            parts.append(_("op. no. %(ref)s") % {"ref": data["bank_reference"]})
        if data.get("voucher"):
            parts.append(_("voucher %(name)s") % {"name": data["voucher"]})
        return " · ".join(parts)
    if action in (EventAction.DEPOSIT_CHANGED, EventAction.PAYOUT_CHANGED):
        labels = {
            "amount": _("amount"),
            "bank_reference": _("op. no."),
            "client_account": _("client account"),
            "house_account": _("house account"),
            "voucher": _("voucher"),
        }
        changes = [
            (labels.get(k, k), v[0] or "—", v[1] or "—") for k, v in data.items() if k in labels and isinstance(v, list)
        ]
        return format_html_join("; ", "{}: {} → {}", changes)
    if action == EventAction.NOTES_CHANGED:
        return _("Notes updated")
    if action == EventAction.SENT_TO_PROCESS:
        if data.get("operator"):
            return _("Assigned to %(user)s") % {"user": data["operator"]}
        return _("No operator available: a supervisor must process it")
    if action == EventAction.RETURNED:
        return _("Operator: %(user)s") % {"user": data.get("operator") or "—"}
    if action == EventAction.COMPLETED:
        return _("Payouts: %(amount)s") % {
            "amount": display.money(data.get("payouts_total"), op.client_receives_currency)
        }
    if action == EventAction.REASSIGNED:
        return f"{data.get('from') or '—'} → {data.get('to') or '—'}"
    return ""


# --- Change form context -----------------------------------------------------------------------------------


def _balance(expected, registered, currency):
    missing = expected - registered
    return {
        "currency": currency,
        "expected": display.money(expected, currency),
        "registered": display.money(registered, currency),
        "ok": missing == 0,
        "missing": display.money(abs(missing), currency),
        "over": missing < 0,
    }


def change_form_context(request, op):
    transitions = [
        {
            "name": t.name,
            "label": t.label,
            "url": reverse("admin:operations_operation_transition", args=[op.pk, t.name]),
        }
        for t in allowed_transitions(request.user, op)
    ]
    user = request.user
    editable = (
        policy.can_edit_amount(user, op)
        or policy.can_edit_notes(user, op)
        or any(policy.can_edit_movements(user, op, model) for model in (Deposit, Payout))
    )
    hide_save = {} if editable else {"show_save": False, "show_save_and_continue": False}
    return {
        **hide_save,
        "show_save_and_add_another": False,
        "op_transitions": transitions,
        "op_sends": _balance(op.client_sends_amount, op.deposits_total, op.client_sends_currency),
        "op_receives": _balance(op.client_receives_amount, op.payouts_total, op.client_receives_currency),
        "op_time_in_process": duration(op.time_in_process()) if op.time_in_process() else None,
        "op_over_sla": op.is_over_sla(),
        "op_preview": {"rate": str(op.rate), "type": op.type} if policy.can_edit_amount(request.user, op) else None,
        "sla_minutes": settings.OPERATION_SLA_MINUTES,
        "op_rate_warning": rate_guard.check_operation(op).warning(
            op.amount_usd, show_cost=policy.sees_operation_cost(user)
        )
        if op.awaiting_rate_approval
        else None,
    }


def add_form_context(request):
    current = ExchangeRate.objects.current()
    return {
        # Without the base the page's live warning checks the tolerance only; the form checks the rest.
        "op_rates": {
            "buy": str(current.buy),
            "sell": str(current.sell),
            "tolerance": str(rate_guard.tolerance()),
        }
        | ({"base": str(current.base)} if policy.sees_operation_cost(request.user) else {})
        if current
        else None,
        "op_rate_set_at": current.effective_at if current else None,
        "op_accounts_url": reverse("admin:operations_operation_client_accounts"),
        "op_currencies": {
            OperationType.BUY: {"source": Currency.USD, "destination": Currency.PEN},
            OperationType.SELL: {"source": Currency.PEN, "destination": Currency.USD},
        },
    }


# --- Client accounts lookup (operation form) ---------------------------------------------------------------


@never_cache
@require_GET
def client_accounts(request):
    """The active accounts of one visible, Activo client: [{id, label (masked), currency}]."""
    if not request.user.has_perm("operations.add_operation"):
        raise PermissionDenied
    client_id = services.parse_id(request.GET.get("client"))
    if client_id is None:
        return JsonResponse({"accounts": []})  # no client chosen yet (or not an id at all)
    client = Client.objects.visible_to(request.user).active().filter(pk=client_id).first()
    if client is None:
        raise Http404
    accounts = client.accounts.filter(is_active=True).order_by("currency", "bank", "id")
    return JsonResponse({"accounts": [{"id": a.pk, "label": str(a), "currency": a.currency} for a in accounts]})


# --- Transition confirmation pages ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def transition(request, model_admin, object_id, action):
    """GET: a confirmation page (with what the transition asks for). POST: run the transition."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise Http404
    op = model_admin.get_object(request, unquote(object_id))  # 404 when not visible
    change_url = reverse("admin:operations_operation_change", args=[op.pk])
    refused = refusal_text(t.refusal(op, request.user))
    form = TransitionForm(request.POST if request.method == "POST" else None, transition=t, operation=op)
    if request.method == "POST" and not refused and form.is_valid():
        try:
            op = t.run(op, by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(request, t.done(op))
            return HttpResponseRedirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"{t.label}: {op.code}",
        "opts": Operation._meta,
        "original": op,
        "op": op,
        "form": form,
        "transition": t,
        "problem": refusal_text(t.problem(op)),
        "refused": refused,
        "change_url": change_url,
        "usd": display.money(op.amount_usd),
        "rate": display.rate(op.rate),
        "pen": display.money(op.amount_pen),
        "trader_name": op.trader.display_name,
        "operator_name": op.assigned_operator.display_name if op.assigned_operator else None,
        "sends": display.money(op.client_sends_amount, op.client_sends_currency),
        "receives": display.money(op.client_receives_amount, op.client_receives_currency),
        "media": model_admin.media,
        "has_view_permission": True,
    }
    # Refused (wrong status or not this user's to do): the page says why, with no button, as a 403.
    status = 403 if refused else 200
    return TemplateResponse(request, "admin/operations/operation/transition.html", context, status=status)


# --- Voiding a deposit or a payout ------------------------------------------------------------------------

MOVEMENTS = {model.kind(): model for model in (Deposit, Payout)}
VOIDED_MESSAGES = {
    Deposit: gettext_lazy("Deposit of %(amount)s voided: it no longer counts for operation %(code)s."),
    Payout: gettext_lazy("Payout of %(amount)s voided: it no longer counts for operation %(code)s."),
}
VOID_LABELS = {Deposit: gettext_lazy("Void deposit"), Payout: gettext_lazy("Void payout")}


def void_url(row):
    return reverse("admin:operations_operation_void", kwargs={"kind": row.kind(), "pk": row.pk})


@require_http_methods(["GET", "POST"])
def void_movement(request, model_admin, kind, pk):
    """GET: a confirmation page asking for the reason. POST: void the deposit/payout through the service.

    Rows of operations the user cannot see are a 404; a row the user may not void now (status, role,
    already voided) is a 403 page that says why. Nothing is ever deleted.
    """
    model = MOVEMENTS.get(kind)
    if model is None:
        raise Http404
    row = (
        model.objects.visible_to(request.user)
        .select_related("operation__client", "client_account", "house_account", "created_by", "voided_by")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise Http404
    op = row.operation
    change_url = reverse("admin:operations_operation_change", args=[op.pk])
    refused = refusal_text(policy.void_refusal(request.user, row))
    form = VoidForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not refused and form.is_valid():
        try:
            row = services.void_movement(row, by=request.user, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, refusal_text(exc))
        else:
            text = VOIDED_MESSAGES[model] % {"amount": display.money(row.amount), "code": op.code}
            messages.success(request, text)
            return HttpResponseRedirect(change_url)
    label = VOID_LABELS[model]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"{label}: {op.code}",
        "label": label,
        "opts": Operation._meta,
        "original": op,
        "op": op,
        "row": row,
        "kind": kind,
        "amount": display.money(row.amount, row.currency),
        "form": form,
        "refused": refused,
        "change_url": change_url,
        "registered_by": row.created_by.display_name,
        "media": model_admin.media,
        "has_view_permission": True,
    }
    return TemplateResponse(request, "admin/operations/operation/void.html", context, status=403 if refused else 200)


# --- Operator queue ------------------------------------------------------------------------------------------


def queue_rows(user, now=None, ops=None):
    """The queue's rows; `ops`: the operations when already read (the index, operations.panel_rows)."""
    now = now or timezone.now()
    rows = []
    if ops is None:
        ops = Operation.objects.operator_queue(user)[: panel_rows.QUEUE_ROWS]
    for op in ops:
        spent = op.time_in_process(now)
        minutes = int(spent.total_seconds() // 60) if spent else 0
        rows.append(
            {
                "id": op.pk,
                "code": op.code,
                "url": reverse("admin:operations_operation_change", args=[op.pk]),
                "client": op.client.display_name,
                "type": op.get_type_display(),
                "type_code": op.type,
                "usd": display.money(op.amount_usd),
                "rate": display.rate(op.rate),
                "pen": display.money(op.amount_pen),
                "minutes": minutes,
                "over_sla": op.is_over_sla(now),
                "operator": op.assigned_operator.display_name if op.assigned_operator else None,
                "trader": op.trader.display_name,
            }
        )
    return rows


def queue_panel(request):
    user = request.user
    if not policy.may_see_queue(user):
        return None
    rows = queue_rows(user, ops=panel_rows.for_request(request)[panel_rows.QUEUE])
    return {
        "rows": rows,
        "supervisor": policy.is_supervisor(user),
        "sla_minutes": settings.OPERATION_SLA_MINUTES,
        "refresh_url": reverse("admin:operations_queue"),
        "refresh_seconds": 30,
        "sla": [{"id": r["id"], "code": r["code"]} for r in rows if r["over_sla"]],
        "user_id": user.pk,
        "changelist_url": reverse("admin:operations_operation_changelist") + "?status__exact=in_process",
    }


@never_cache
@require_GET
def queue_fragment(request):
    """The queue's rows as an HTML fragment plus their ids (the panel's 30-second refresh)."""
    user = request.user
    if not policy.may_see_queue(user):
        raise PermissionDenied
    ctx = {
        "rows": queue_rows(user),
        "supervisor": policy.is_supervisor(user),
        "sla_minutes": settings.OPERATION_SLA_MINUTES,
    }
    html = render_to_string("operations/panels/_queue_rows.html", ctx, request=request)
    return JsonResponse(
        {
            "html": html,
            "ids": [r["id"] for r in ctx["rows"]],
            "count": len(ctx["rows"]),
            "over_sla": sum(1 for r in ctx["rows"] if r["over_sla"]),
            "sla": [{"id": r["id"], "code": r["code"]} for r in ctx["rows"] if r["over_sla"]],
        }
    )


# --- Returned operations panel (the trader's index) ---------------------------------------------------------


def returned_panel(request):
    """Operations of the user's clients that an operator returned to Pendiente (with the reason): the
    trader must fix them and send them again. Hidden when there are none or the user cannot trade.
    Counted up to panel_rows.RETURNED_COUNTED ("more than" past it)."""
    ops = panel_rows.for_request(request).get(panel_rows.RETURNED)
    if not ops:
        return None
    rows = []
    for op in ops[: panel_rows.RETURNED_ROWS]:
        author = f"{op.returned_by_first or ''} {op.returned_by_last or ''}".strip() or op.returned_by_username
        rows.append(
            {
                "code": op.code,
                "url": reverse("admin:operations_operation_change", args=[op.pk]),
                "client": op.client.display_name,
                "type": op.get_type_display(),
                "type_code": op.type,
                "usd": display.money(op.amount_usd),
                "reason": op.returned_reason or "",
                "by": author or display.EMPTY,
                "at": op.returned_at,
            }
        )
    capped = len(ops) > panel_rows.RETURNED_COUNTED
    total = panel_rows.RETURNED_COUNTED if capped else len(ops)
    return {
        "rows": rows,
        "total": total,
        "capped": capped,
        "more": total - len(rows),
        "changelist_url": reverse("admin:operations_operation_changelist") + "?status__exact=pending",
    }


# --- Rates panel ---------------------------------------------------------------------------------------------


def rates_panel(request):
    user = request.user
    if not user.has_perm("operations.view_exchangerate"):
        return None
    now = timezone.now()

    sees_cost = policy.sees_cost(user)

    def shown(rate):
        if rate is None:
            return None
        return {
            "buy": display.rate(rate.buy),
            "sell": display.rate(rate.sell),
            "base": display.rate(rate.base) if sees_cost else None,
            "set_by": rate.set_by.display_name,
            "effective_at": rate.effective_at,
        }

    # The rate in force and the next scheduled one, in one query.
    rates = ExchangeRate.objects.all()
    nearest = rates.select_related("set_by").filter(
        Q(pk=Subquery(rates.effective(now).order_by("-effective_at", "-id").values("pk")[:1]))
        | Q(pk=Subquery(rates.filter(effective_at__gt=now).order_by("effective_at", "id").values("pk")[:1]))
    )
    current = next((r for r in nearest if r.effective_at <= now), None)
    scheduled = next((r for r in nearest if r.effective_at > now), None)
    return {
        "current": shown(current),
        "scheduled": shown(scheduled),
        "add_url": reverse("admin:operations_exchangerate_add") if policy.may_publish_rates(user) else None,
        "list_url": reverse("admin:operations_exchangerate_changelist"),
    }
