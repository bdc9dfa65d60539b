from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Labels of every action operations.services records in the audit trail (accounts.audit.record).
# operations/tests/test_audit_labels.py fails when a recorded code has no label here.
AUDIT_ACTIONS = {
    "exchangerate.create": pgettext_lazy("audit", "Exchange rate published"),
    "housebankaccount.create": pgettext_lazy("audit", "House account created"),
    "housebankaccount.change": pgettext_lazy("audit", "House account changed"),
    "operation.create": pgettext_lazy("audit", "Operation created"),
    "operation.update_amount": pgettext_lazy("audit", "Operation amount changed"),
    "operation.update_notes": pgettext_lazy("audit", "Operation notes changed"),
    "operation.deposit_add": pgettext_lazy("audit", "Client deposit registered"),
    "operation.deposit_change": pgettext_lazy("audit", "Client deposit changed"),
    "operation.deposit_void": pgettext_lazy("audit", "Client deposit voided"),
    "operation.payout_add": pgettext_lazy("audit", "Payout to client registered"),
    "operation.payout_change": pgettext_lazy("audit", "Payout to client changed"),
    "operation.payout_void": pgettext_lazy("audit", "Payout to client voided"),
    "operation.send_to_process": pgettext_lazy("audit", "Operation sent to process"),
    "operation.return_to_pending": pgettext_lazy("audit", "Operation returned to Pendiente"),
    "operation.complete": pgettext_lazy("audit", "Operation completed"),
    "operation.cancel": pgettext_lazy("audit", "Operation cancelled"),
    "operation.reassign_operator": pgettext_lazy("audit", "Operation reassigned to another operator"),
}


class OperationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "operations"
    verbose_name = _("Operations")

    def ready(self):
        from accounts import audit

        # Spanish labels for the audit trail's list and its action filter.
        audit.register_actions(AUDIT_ACTIONS)
