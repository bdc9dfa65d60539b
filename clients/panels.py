"""Index panels of the clients app (registered in clients/registry.py)."""

from django.db.models import Count, Window
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
        waiting.annotate(waiting_total=Window(Count("pk")))  # the count of all, in the same query
        .select_related("owner")
        .prefetch_related("accounts", "documents")
        .order_by("created_at", "pk")[:REVIEW_ROWS]
    )
    if not clients:
        return None
    total = clients[0].waiting_total
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
                "missing": services.activation_errors(client, overview=True),
            }
            for client in clients
        ],
    }
