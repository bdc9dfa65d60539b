from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clients"
    verbose_name = _("Clients")

    def ready(self):
        from accounts import audit

        # Labels for the audit trail's action column (optional hook of accounts.audit).
        register = getattr(audit, "register_actions", None)
        if register is not None:
            register(
                {
                    "client.registered": _("Client registered"),
                    "client.imported": _("Client imported"),
                    "client.updated": _("Client changed"),
                    "client.activated": _("Client activated"),
                    "client.deactivated": _("Client deactivated"),
                    "client.reassigned": _("Client reassigned"),
                    "bank_account.added": _("Bank account added"),
                    "bank_account.changed": _("Bank account changed"),
                    "client_document.added": _("Client document uploaded"),
                    "client_export": _("Clients exported"),
                }
            )
