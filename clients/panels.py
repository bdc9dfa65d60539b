"""Index panels of the clients app (registered in clients/registry.py)."""

from django.urls import reverse

from clients import services
from clients.models import Client

REVIEW_ROWS = 8


def review_panel(request):
    """'Clientes por revisar': new clients never activated, oldest first, with what each still lacks.

    For whoever reviews clients (activate_client) and only when there is someone waiting.
    """
    user = request.user
    if not user.has_perm("clients.activate_client"):
        return None
    waiting = Client.objects.visible_to(user).awaiting_review()
    clients = list(
        waiting.select_related("owner").prefetch_related("accounts").order_by("created_at", "pk")[:REVIEW_ROWS]
    )
    if not clients:
        return None
    total = waiting.count()
    return {
        "total": total,
        "more": total - len(clients),
        "list_url": reverse("admin:clients_client_changelist") + "?status__exact=review",
        "rows": [
            {
                "name": client.display_name,
                "document": f"{client.document_type} {client.document_number}",
                "url": reverse("admin:clients_client_change", args=[client.pk]),
                "owner": client.owner.display_name,
                "created_at": client.created_at,
                "missing": services.activation_errors(client),
            }
            for client in clients
        ],
    }
