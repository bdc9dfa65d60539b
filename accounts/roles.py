"""The default permissions of each role: the union of what every app registers.

Roles are Django groups. These are only their *default* content: the Master may change a group's
permissions in the admin and the app follows, because code asks `user.has_perm(...)` and never a
group's name. Each app declares the defaults for its own permissions from its `registry.register()`
with `register_defaults(role, perms)`. `migrate` hands out defaults never handed out before;
`python manage.py bootstrap_roles --reset` makes every group equal to this table again.
"""

MASTER = "Master"
OPERADOR = "Operador"
TRADER = "Trader"
# Reads everything (no profit), approves PEP operations, keeps the unusual-operations register.
COMPLIANCE_OFFICER = "Oficial de Cumplimiento"

# Filled by register_defaults(); the roles come first, in this order (matrix columns, docs).
ROLE_PERMISSIONS: dict[str, set[str]] = {MASTER: set(), OPERADOR: set(), TRADER: set(), COMPLIANCE_OFFICER: set()}


def register_defaults(role, perms):
    """Add `perms` ("app.codename") to the default permissions of `role` (created when new)."""
    ROLE_PERMISSIONS.setdefault(role, set()).update(perms)


def roles() -> tuple[str, ...]:
    """Every role name, in registration order."""
    return tuple(ROLE_PERMISSIONS)


# The role names (groups created by migrations 0002 and 0005); more roles may be registered by apps.
ROLES = (MASTER, OPERADOR, TRADER, COMPLIANCE_OFFICER)
