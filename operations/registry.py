"""Everything the operations app contributes to the project, declared once (OperationsConfig.ready):
role defaults, audit actions, index panels, custom admin views and their permission-matrix rules."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts import audit, matrix
from accounts.roles import COMPLIANCE_OFFICER, MASTER, OPERADOR, TRADER, register_defaults
from qoricash.outbox.kinds import register_kind

# Everyone reads the rates and the house accounts (the operation form and the index show them).
_READ_RATES = {"operations.view_exchangerate", "operations.view_housebankaccount"}
# Traders create operations for their own clients and register the client's deposits.
_TRADING = {
    "operations.view_operation",
    "operations.add_operation",
    "operations.change_operation",
    "operations.view_deposit",
    "operations.add_deposit",
    "operations.change_deposit",
    "operations.view_payout",
    "operations.view_operationevent",
    "operations.view_fundsdeclaration",
    "operations.add_fundsdeclaration",
    "operations.change_fundsdeclaration",
}
# Operators process every operation sent to them and register the payouts.
_PROCESSING = {
    "operations.view_operation",
    "operations.change_operation",
    "operations.view_all_operations",
    "operations.process_operation",
    "operations.view_deposit",
    "operations.view_payout",
    "operations.add_payout",
    "operations.change_payout",
    "operations.view_operationevent",
    "operations.view_fundsdeclaration",
}
# The Master publishes rates, manages the house accounts and supervises every operation.
_MASTER = {
    "operations.add_exchangerate",
    "operations.add_housebankaccount",
    "operations.change_housebankaccount",
    "operations.view_all_operations",
    "operations.supervise_operation",
    "operations.add_payout",
    "operations.change_payout",
    "operations.view_treasury",
    "operations.manage_treasury",
}


# The compliance officer reads every operation (no profit: that is reports.view_profit), approves PEP
# operations, keeps the register of unusual operations and exports the UIF register. The Master too.
_COMPLIANCE = {
    "operations.view_operation",
    "operations.view_all_operations",
    "operations.view_deposit",
    "operations.view_payout",
    "operations.view_operationevent",
    "operations.view_fundsdeclaration",
    "operations.review_compliance",
    "operations.approve_pep",
    "operations.view_unusualoperation",
    "operations.add_unusualoperation",
    "operations.change_unusualoperation",
}


def register():
    from operations import (
        emails,
        rate_guard_views,
        services,  # noqa: F401  (declares the transitions)
        treasury_registry,
        views,
    )
    from operations.models import (
        AuditAction,
        ExchangeRate,
        FundsDeclaration,
        HouseBankAccount,
        Operation,
        UnusualOperation,
    )

    register_kind(emails.NEW, _("Operation: new"))
    register_kind(emails.COMPLETED, _("Operation: completed"))
    register_kind(emails.RETURNED, _("Operation: returned to Pendiente"))
    register_kind(emails.CANCELLED, _("Operation: cancelled"))

    register_defaults(MASTER, _READ_RATES | _TRADING | _MASTER)
    register_defaults(OPERADOR, _READ_RATES | _PROCESSING)
    register_defaults(TRADER, _READ_RATES | _TRADING)
    register_defaults(COMPLIANCE_OFFICER, _READ_RATES | _COMPLIANCE)
    register_defaults(MASTER, _COMPLIANCE)

    audit.register_actions(AuditAction)
    audit.register_types(ExchangeRate, HouseBankAccount, Operation, FundsDeclaration, UnusualOperation)

    admin.site.register_panel("operations/panels/returned.html", views.returned_panel, order=3)
    # The queue refreshes itself (queue.js: new rows, SLA alarm); the index's refresh leaves it alone.
    admin.site.register_panel("operations/panels/queue.html", views.queue_panel, order=5, live=False)
    admin.site.register_panel("operations/panels/rates.html", views.rates_panel, order=10)
    admin.site.register_view("operations/queue/", views.queue_fragment, "operations_queue")
    _matrix_rules()
    treasury_registry.register()
    rate_guard_views.register()


def _matrix_rules():
    """Permission-matrix entries of the custom URLs (the standard ModelAdmin ones are derived).

    The matrix's sample operation is Pendiente and belongs to the Trader under test: "send" and
    "cancel" are open to its trader and to the Master (holders of add_operation by default; ownership
    is checked too), the other transitions answer 403 to everyone on a Pendiente operation. Its sample
    deposit can be voided by its trader and the Master (holders of add_deposit), its payout by nobody
    (only while En proceso). Status and ownership are asserted in operations/tests.
    """
    group = "operations.Operation"
    matrix.rule(
        "operations_queue",
        ("operations.process_operation", "operations.supervise_operation"),
        any_perm=True,
        label="cola del operador (JSON, cada 30 s)",
        group=group,
    )
    matrix.rule(
        "operations_operation_client_accounts",
        ("operations.add_operation",),
        label="cuentas del cliente para el formulario (JSON)",
        group=group,
    )
    for action, label in (("send_to_process", "enviar a proceso"), ("cancel", "cancelar")):
        matrix.rule(
            "operations_operation_transition",
            ("operations.add_operation",),
            model="operations.operation",
            kwargs={"action": action},
            label=f"{label} (confirmación; POST ejecuta)",
            group=group,
        )
    for action, label in (("return_to_pending", "devolver"), ("complete", "completar"), ("reassign", "reasignar")):
        matrix.rule(
            "operations_operation_transition",
            ("operations.process_operation", "operations.supervise_operation"),
            any_perm=True,
            model="operations.operation",
            kwargs={"action": action},
            ok=403,
            denied=403,
            label=f"{label} (solo En proceso: 403 sobre una Pendiente)",
            group=group,
        )
    matrix.rule(
        "operations_operation_transition",
        ("operations.approve_pep",),
        model="operations.operation",
        kwargs={"action": "approve_compliance"},
        ok=403,
        denied=403,
        label="aprobar (cumplimiento) (solo operaciones PEP desde el umbral: 403 sobre la de muestra)",
        group=group,
    )
    matrix.rule(
        "operations_operation_void",
        ("operations.add_deposit",),
        model="operations.deposit",
        kwargs={"kind": "deposit"},
        label="anular un abono (confirmación; POST anula)",
        group=group,
    )
    matrix.rule(
        "operations_operation_void",
        ("operations.add_payout",),
        model="operations.payout",
        kwargs={"kind": "payout"},
        ok=403,
        denied=403,
        label="anular un pago (solo En proceso: 403 sobre una Pendiente)",
        group=group,
    )
