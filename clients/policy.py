"""Who may do what with clients: the field groups each permission opens and who may hold a portfolio.

Decisions:
- Who may own a portfolio: an active user who may register clients and is not limited by
  `view_all_clients` (see `can_own_clients`). With the default roles: Traders, never Operadores.
  The Master may own the clients it registers itself but is not a reassignment target.
"""

from django.contrib.auth import get_user_model

# Which client fields belong to which permission.
IMMUTABLE_FIELDS = ("document_type", "document_number")
CONTACT_FIELDS = ("email", "cc_emails", "phones")
PROFILE_FIELDS = (
    "apellido_paterno",
    "apellido_materno",
    "nombres",
    "occupation",
    "razon_social",
    "contact_person",
    "legal_rep_name",
    "legal_rep_document_type",
    "legal_rep_document_number",
    "address",
    "district",
    "province",
    "department",
    "is_pep",
    "pep_position",
    "pep_entity",
)
# What the operations register (UIF) asks of a client; whoever may edit the client completes it, so a
# client registered before these fields existed is completed by its own executive.
REGISTER_FIELDS = ("nationality", "date_of_birth", "economic_activity")
REGISTRATION_FIELDS = IMMUTABLE_FIELDS + PROFILE_FIELDS + REGISTER_FIELDS + CONTACT_FIELDS


def editable_fields(user):
    """Client fields `user` may change on an existing client (never the document)."""
    if not user.has_perm("clients.change_client"):
        return ()
    if user.has_perm("clients.change_client_profile"):
        return CONTACT_FIELDS + REGISTER_FIELDS + PROFILE_FIELDS
    return CONTACT_FIELDS + REGISTER_FIELDS


def can_own_clients(user):
    """A portfolio holder: active, may register clients, and sees only its own portfolio."""
    return bool(
        user is not None
        and user.is_active
        and user.has_perm("clients.add_client")
        and not user.has_perm("clients.view_all_clients")
    )


def owner_candidates():
    """Users `can_own_clients` accepts, as a queryset (for the reassignment form's choices)."""
    users = get_user_model().objects
    sees_all = users.with_perm("clients.view_all_clients", active_only=False).values("pk")
    return (
        users.with_perm("clients.add_client", include_superusers=False)
        .exclude(pk__in=sees_all)
        .order_by("first_name", "last_name", "username")
    )
