"""Everything the reports app contributes to the project, declared once (called from ReportsConfig.ready)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import audit, matrix
from accounts.roles import MASTER, OPERADOR, TRADER, register_defaults
from qoricash import background_exports

from .audit_actions import LEGACY_CODES, ReportAction


def register():
    from . import uif_views, views
    from .models import Report, TraderGoal

    register_defaults(
        MASTER,
        {
            "reports.view_position",
            "reports.export_history",
            "reports.view_profit",
            "reports.view_tradergoal",
            "reports.add_tradergoal",
            "reports.change_tradergoal",
        },
    )
    register_defaults(OPERADOR, {"reports.view_position", "reports.export_history"})
    register_defaults(TRADER, {"reports.export_history", "reports.view_tradergoal"})

    audit.register_actions(ReportAction, legacy=LEGACY_CODES)
    audit.register_types(Report, TraderGoal)

    admin.site.register_view("reports/position/", views.position_view, "reports_position")
    admin.site.register_view("reports/position.xlsx", views.position_xlsx, "reports_position_xlsx")
    admin.site.register_view("reports/position/live/", views.position_live, "reports_position_live")
    admin.site.register_view("reports/history.xlsx", views.history_xlsx, "reports_history_xlsx")
    admin.site.register_nav(_("Position"), "reports_position", "reports.view_position", "reports")
    admin.site.register_view("reports/uif-register/", uif_views.register_view, "reports_uif_register")
    admin.site.register_view("reports/uif-register.xlsx", uif_views.register_xlsx, "reports_uif_register_xlsx")
    admin.site.register_nav(_("Operations register (UIF)"), "reports_uif_register", uif_views.PERMISSION, "operations")
    admin.site.register_panel("reports/panels/today.html", views.dashboard_panel, order=20)
    admin.site.register_panel("reports/panels/goals.html", views.goals_panel, order=40)
    # The operations list exports exactly its current rows (same filters and search).
    admin.site.register_button(
        "operations.operation",
        pgettext_lazy("report", "Export Excel"),
        "reports_history_xlsx",
        "reports.export_history",
        keep_query=True,
        element_id="qc-export-history",
        css_class="qc-export-history",
        title=pgettext_lazy("report", "Exports exactly the rows selected by the current filters and search"),
        icon="⤓",
    )

    # Above EXPORT_SYNC_MAX_ROWS rows the history file is built by the task worker (Mis descargas).
    background_exports.register(
        "history",
        title=pgettext_lazy("report", "Operations history"),
        url_name="operations_operation_changelist",
        build=views.build_history_export,
    )

    matrix.rule("reports_position", ("reports.view_position",), label="posición", group="reports")
    matrix.rule("reports_position_xlsx", ("reports.view_position",), label="posición en Excel", group="reports")
    matrix.rule(
        "reports_position_live", ("reports.view_position",), label="posición: cifras (JSON, cada 30 s)", group="reports"
    )
    matrix.rule("reports_history_xlsx", ("reports.export_history",), label="historial en Excel", group="reports")
    matrix.rule("reports_uif_register", (uif_views.PERMISSION,), label="registro de operaciones (UIF)", group="reports")
    matrix.rule(
        "reports_uif_register_xlsx",
        (uif_views.PERMISSION,),
        label="registro de operaciones (UIF) en Excel",
        group="reports",
    )
