"""What the reports app records in the audit trail. Labels are what the audit page shows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportAction(models.TextChoices):
    POSITION_VIEWED = "report.position_view", _("Position viewed")
    POSITION_EXPORTED = "report.position_export", _("Position exported to Excel")
    HISTORY_EXPORTED = "report.history_export", _("History exported to Excel")
    UIF_REGISTER_VIEWED = "report.uif_register_view", _("Operations register (UIF) viewed")
    UIF_REGISTER_EXPORTED = "report.uif_register_export", _("Operations register (UIF) exported to Excel")
    GOAL_CREATED = "goal.create", _("Trader goal set")
    GOAL_CHANGED = "goal.change", _("Trader goal changed")


# Codes stored before actions were named "<object>.<verb>" (the trail is append-only: old entries keep them).
LEGACY_CODES = {
    "report_position_view": ReportAction.POSITION_VIEWED,
    "report_position_export": ReportAction.POSITION_EXPORTED,
    "report_history_export": ReportAction.HISTORY_EXPORTED,
    "goal_set": ReportAction.GOAL_CREATED,
    "goal_changed": ReportAction.GOAL_CHANGED,
}
