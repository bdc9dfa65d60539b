"""The guard on the desk: the index panel of operations whose negotiated rate waits for approval,
and its registrations (audit actions, panel, the approval's matrix rule). Called from
operations.registry.register()."""

from django.contrib import admin
from django.urls import reverse

from accounts import audit, matrix
from operations import panel_rows, policy
from qoricash import display


def approval_rows(user, ops):
    """What the panel shows of `ops` (read by operations.panel_rows with the index's other panels)."""
    # A trader waiting for approval sees the rate he typed and the published one, not the profit:
    # with the rate and the amount it gives the base rate, the house's cost.
    cost = policy.sees_operation_cost(user)
    return [
        {
            "id": op.pk,
            "code": op.code,
            "url": reverse("admin:operations_operation_change", args=[op.pk]),
            "client": op.client.display_name,
            "type": op.get_type_display(),
            "type_code": op.type,
            "usd": display.money(op.amount_usd),
            "rate": display.rate(op.rate),
            "published": display.rate(op.published_rate),
            "profit": display.money(op.profit_pen, "PEN") if cost else None,
            "loss": cost and op.profit_pen < 0,
            "trader": op.trader.display_name,
            "approve_url": reverse("admin:operations_operation_transition", args=[op.pk, "approve_rate"])
            if policy.is_supervisor(user)
            else None,
        }
        for op in ops
    ]


def approvals_panel(request):
    ops = panel_rows.for_request(request).get(panel_rows.APPROVALS)
    if not ops:
        return None
    return {"rows": approval_rows(request.user, ops), "supervisor": policy.is_supervisor(request.user)}


def register():
    from operations.rate_guard import GuardAction

    audit.register_actions(GuardAction)
    admin.site.register_panel("operations/panels/approvals.html", approvals_panel, order=2)
    matrix.rule(
        "operations_operation_transition",
        ("operations.supervise_operation",),
        model="operations.operation",
        kwargs={"action": "approve_rate"},
        ok=403,
        denied=403,
        label="aprobar tipo de cambio (solo si lo requiere: 403 sobre la de muestra)",
        group="operations.Operation",
    )
