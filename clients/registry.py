"""Everything the clients app contributes to the project, declared once (called from ClientsConfig.ready)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts import audit, matrix
from accounts.roles import COMPLIANCE_OFFICER, MASTER, OPERADOR, TRADER, register_defaults
from clients import emails, panels
from clients.audit_actions import LEGACY_CODES, ClientAction
from qoricash import background_exports
from qoricash.outbox.kinds import register_kind

# Every role registers and edits clients in its own portfolio; the review (activation), every
# portfolio and full account numbers belong to the back office; moving portfolios and bulk files
# to the Master.
_PORTFOLIO = {
    "clients.view_client",
    "clients.add_client",
    "clients.change_client",
    "clients.view_bankaccount",
    "clients.add_bankaccount",
    "clients.change_bankaccount",
    "clients.view_clientdocument",
    "clients.add_clientdocument",
}
_BACK_OFFICE = {
    "clients.change_client_profile",
    "clients.activate_client",
    "clients.view_all_clients",
    "clients.view_full_accounts",
}
_MASTER_ONLY = {
    "clients.reassign_client",
    "clients.import_client",
    "clients.export_client",
    "clients.view_clientreassignment",
}


def register():
    # Above EXPORT_SYNC_MAX_ROWS clients the export is built by the task worker (Mis descargas).
    background_exports.register(
        "clients", title=_("Clients"), url_name="clients_client_changelist", build="clients.admin.build_export"
    )
    register_defaults(MASTER, _PORTFOLIO | _BACK_OFFICE | _MASTER_ONLY)
    register_defaults(OPERADOR, _PORTFOLIO | _BACK_OFFICE)
    register_defaults(TRADER, _PORTFOLIO)
    # The compliance officer reads every client with full identification, and changes none.
    register_defaults(
        COMPLIANCE_OFFICER,
        {
            "clients.view_client",
            "clients.view_all_clients",
            "clients.view_full_accounts",
            "clients.view_bankaccount",
            "clients.view_clientdocument",
        },
    )
    register_kind(emails.REGISTRATION_RECEIVED, _("Client: registration received"))
    register_kind(emails.ACCOUNT_ACTIVATED, _("Client: account activated"))

    audit.register_actions(ClientAction, legacy=LEGACY_CODES)
    from clients.models import BankAccount, Client, ClientDocument

    audit.register_types(Client, BankAccount, ClientDocument)
    admin.site.register_panel("clients/panels/review.html", panels.review_panel, order=4)

    # The change page's buttons (ClientAdmin.get_urls). POST-only buttons are requested with GET and
    # must answer 405 to everybody; their permission is asserted by the clients tests.
    matrix.rule(
        "clients_client_activate",
        ("clients.activate_client",),
        model="clients.client",
        ok=405,
        denied=405,
        label="activar (botón, solo POST)",
        group="clients.Client",
    )
    matrix.rule(
        "clients_client_deactivate",
        ("clients.activate_client",),
        model="clients.client",
        ok=405,
        denied=405,
        label="desactivar (botón, solo POST)",
        group="clients.Client",
    )
    matrix.rule(
        "clients_client_reassign",
        ("clients.reassign_client",),
        model="clients.client",
        label="reasignar un cliente",
        group="clients.Client",
    )
    matrix.rule(
        "clients_client_reassign_portfolio",
        ("clients.reassign_client",),
        label="reasignar una cartera completa",
        group="clients.Client",
    )
    matrix.rule(
        "clients_client_import_template",
        ("clients.import_client",),
        label="plantilla de importación",
        group="clients.Client",
    )
