from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from accounts import audit

        # Labels for the audit trail's screen, where the security app offers them.
        register = getattr(audit, "register_actions", None)
        if register is not None:
            register(
                {
                    "report_position_view": _("Position viewed"),
                    "report_position_export": _("Position exported to Excel"),
                    "report_history_export": _("History exported to Excel"),
                    "goal_set": _("Trader goal set"),
                    "goal_changed": _("Trader goal changed"),
                }
            )
