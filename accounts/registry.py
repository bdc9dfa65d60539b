"""Everything the accounts app contributes to the project, declared once (called from AccountsConfig.ready)."""

from django.contrib import admin

from accounts import audit
from accounts.audit_actions import LEGACY_CODES, AccountAction
from accounts.roles import MASTER, register_defaults


def register():
    from accounts import views

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
    # The one download view for every private file (client documents, vouchers): /admin/files/<kind>/<pk>/
    admin.site.register_view("files/<str:kind>/<int:pk>/", views.download_private_file, name="private_file")
