"""Everything the accounts app contributes to the project, declared once (called from AccountsConfig.ready)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from accounts import audit, matrix
from accounts.audit_actions import LEGACY_CODES, AccountAction
from accounts.roles import MASTER, OPERADOR, TRADER, register_defaults
from qoricash.outbox.kinds import register_kind


def register():
    from accounts import auditchain, my_downloads, services, views
    from qoricash import downloads
    from qoricash.alerts import alert_kind
    from qoricash.outbox.models import OutboundEmail
    from qoricash.recovery.manifest import register_extra

    register_extra("audit_chain", auditchain.manifest_fact)

    register_defaults(
        MASTER,
        {
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
            "auth.view_group",
            "auth.add_group",
            "auth.change_group",
            "accounts.view_auditentry",
            # The index panel of backups and file storage (qoricash.recovery.panels).
            "qoricash.view_backup_status",
            # The outbox lives in qoricash/, which grants nothing: its defaults are declared here.
            "qoricash.view_outboundemail",
            "qoricash.resend_outboundemail",
            "qoricash.receive_alerts",
        },
    )
    audit.register_actions(AccountAction, legacy=LEGACY_CODES)
    # Users and roles (signals), resent e-mails, and every private file (the one download view
    # records each download on the file's row).
    audit.register_types(get_user_model(), Group, OutboundEmail, *downloads.registry().values())
    register_kind(services.INVITATION, _("User: invitation"))
    register_kind(services.PASSWORD_RESET, _("User: password link"))
    register_kind(alert_kind(auditchain.ALERT_KIND), _("Alert: audit trail altered"))
    # The one download view for every private file (client documents, vouchers): /admin/files/<kind>/<pk>/
    admin.site.register_view("files/<str:kind>/<int:pk>/", views.download_private_file, name="private_file")

    # "Mis descargas": each user's own background exports (qoricash.background_exports).
    for role in (MASTER, OPERADOR, TRADER):
        register_defaults(role, {my_downloads.PERMISSION})
    admin.site.register_view("my-downloads/", my_downloads.my_downloads, name="my_downloads")
    admin.site.register_nav(_("My downloads"), "my_downloads", my_downloads.PERMISSION, "accounts")
    matrix.rule("my_downloads", (my_downloads.PERMISSION,), label="mis descargas", group="accounts")
