"""What treasury contributes to the admin: the "Saldos bancarios" pages, their navigation link, the
index panel of payouts the balances would not cover, and the permission-matrix rules. Called from
operations.registry.register()."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts import audit, matrix

GROUP = "operations.treasury"


def register():
    from operations import treasury_panels, treasury_views
    from operations.models import BankStatement, OpeningBalance, TreasuryAction, TreasuryEntry

    audit.register_actions(TreasuryAction)
    audit.register_types(OpeningBalance, TreasuryEntry, BankStatement)
    site = admin.site
    site.register_view("operations/treasury/", treasury_views.balances_view, "operations_treasury")
    site.register_view("operations/treasury/day/", treasury_views.day_view, "operations_treasury_day")
    site.register_view("operations/treasury/movement/", treasury_views.movement_view, "operations_treasury_movement")
    site.register_view("operations/treasury/opening/", treasury_views.opening_view, "operations_treasury_opening")
    site.register_view("operations/treasury/void/", treasury_views.void_view, "operations_treasury_void")
    site.register_view("operations/treasury.xlsx", treasury_views.balances_xlsx, "operations_treasury_xlsx")
    site.register_nav(_("Bank balances"), "operations_treasury", "operations.view_treasury", "operations")
    site.register_panel("operations/panels/coverage.html", treasury_panels.coverage_panel, order=4)

    view, manage = ("operations.view_treasury",), ("operations.manage_treasury",)
    matrix.rule("operations_treasury", view, label="saldos bancarios", group=GROUP)
    matrix.rule("operations_treasury_xlsx", view, label="saldos bancarios en Excel", group=GROUP)
    matrix.rule(
        "operations_treasury_day",
        view,
        ok=302,
        label="conciliación de un día (sin cuenta: vuelve a los saldos)",
        group=GROUP,
    )
    matrix.rule("operations_treasury_movement", manage, label="registrar movimiento de tesorería", group=GROUP)
    matrix.rule("operations_treasury_opening", manage, label="registrar saldo inicial", group=GROUP)
    matrix.rule(
        "operations_treasury_void",
        manage,
        ok=302,
        label="anular movimiento (sin movimiento: vuelve a los saldos)",
        group=GROUP,
    )
