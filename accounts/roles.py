"""The default permissions of each role, in one table.

Roles are Django groups. This table is only their *default* content: the Master may change a
group's permissions in the admin and the app follows, because code asks `user.has_perm(...)`
and never a group's name. `migrate` hands out defaults that were never handed out before;
`python manage.py bootstrap_roles --reset` makes every group equal to this table again.
"""

MASTER = "Master"
OPERADOR = "Operador"
TRADER = "Trader"

_VIEW_ONLY_COMMON = {
    "operations.view_exchangerate",
    "operations.view_housebankaccount",
}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    MASTER: {
        # Users, groups and the audit trail.
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "auth.view_group",
        "auth.add_group",
        "auth.change_group",
        "accounts.view_auditentry",
        # Clients.
        "clients.view_client",
        "clients.add_client",
        "clients.change_client",
        "clients.change_client_profile",
        "clients.activate_client",
        "clients.view_all_clients",
        "clients.view_full_accounts",
        "clients.reassign_client",
        "clients.import_client",
        "clients.export_client",
        "clients.view_bankaccount",
        "clients.add_bankaccount",
        "clients.change_bankaccount",
        "clients.view_clientdocument",
        "clients.add_clientdocument",
        "clients.view_clientreassignment",
        # Rates, house accounts, operations.
        "operations.view_exchangerate",
        "operations.add_exchangerate",
        "operations.view_housebankaccount",
        "operations.add_housebankaccount",
        "operations.change_housebankaccount",
        "operations.view_operation",
        "operations.add_operation",
        "operations.change_operation",
        "operations.view_all_operations",
        "operations.supervise_operation",
        "operations.view_deposit",
        "operations.add_deposit",
        "operations.change_deposit",
        "operations.view_payout",
        "operations.add_payout",
        "operations.change_payout",
        "operations.view_operationevent",
        # Reports.
        "reports.view_position",
        "reports.export_history",
        "reports.view_profit",
        "reports.view_tradergoal",
        "reports.add_tradergoal",
        "reports.change_tradergoal",
    },
    OPERADOR: {
        "clients.view_client",
        "clients.add_client",
        "clients.change_client",
        "clients.change_client_profile",
        "clients.activate_client",
        "clients.view_all_clients",
        "clients.view_full_accounts",
        "clients.view_bankaccount",
        "clients.add_bankaccount",
        "clients.change_bankaccount",
        "clients.view_clientdocument",
        "clients.add_clientdocument",
        "operations.view_operation",
        "operations.change_operation",
        "operations.view_all_operations",
        "operations.process_operation",
        "operations.view_deposit",
        "operations.view_payout",
        "operations.add_payout",
        "operations.change_payout",
        "operations.view_operationevent",
        "reports.view_position",
        "reports.export_history",
        *_VIEW_ONLY_COMMON,
    },
    TRADER: {
        "clients.view_client",
        "clients.add_client",
        "clients.change_client",
        "clients.view_bankaccount",
        "clients.add_bankaccount",
        "clients.change_bankaccount",
        "clients.view_clientdocument",
        "clients.add_clientdocument",
        "operations.view_operation",
        "operations.add_operation",
        "operations.change_operation",
        "operations.view_deposit",
        "operations.add_deposit",
        "operations.change_deposit",
        "operations.view_payout",
        "operations.view_operationevent",
        "reports.export_history",
        "reports.view_tradergoal",
        *_VIEW_ONLY_COMMON,
    },
}

ROLES = tuple(ROLE_PERMISSIONS)
