"""Index panels of the clients app (registered in clients/registry.py)."""

from django.db.models import Count, Exists, OuterRef, Window
from django.urls import reverse

from clients import services
from clients.models import Client, ClientDocument, DocumentKind

REVIEW_ROWS = 8
# The panel counts up to this many and shows "more than" past it: registrations abandoned before
# their review pile up over the years, and counting them all would read every one on each visit.
REVIEW_COUNTED = 50


def review_panel(request):
    """'Clientes por revisar': new clients never activated, oldest first, with what each still lacks.

    For whoever reviews clients (activate_client) and only when there is someone waiting.
    """
    user = request.user
    if not user.has_perm("clients.activate_client"):
        return None
    waiting = Client.objects.visible_to(user).awaiting_review()
    # Which kinds of document each client has, in the clients' own query (activation needs only the
    # kinds): the index pays two queries for this panel, the clients and their accounts.
    has_kind = {
        f"has_{kind}": Exists(ClientDocument.objects.filter(client=OuterRef("pk"), kind=kind))
        for kind in DocumentKind.values
    }
    # The oldest REVIEW_COUNTED + 1 (client_review_idx), counted in the same query as the rows shown.
    oldest = waiting.order_by("created_at", "pk").values("pk")[: REVIEW_COUNTED + 1]
    clients = list(
        Client.objects.filter(pk__in=oldest)
        .annotate(waiting_total=Window(Count("pk")), **has_kind)
        .select_related("owner")
        .prefetch_related("accounts")
        .order_by("created_at", "pk")[:REVIEW_ROWS]
    )
    if not clients:
        return None
    capped = clients[0].waiting_total > REVIEW_COUNTED
    total = REVIEW_COUNTED if capped else clients[0].waiting_total
    return {
        "total": total,
        "capped": capped,
        "more": total - len(clients),
        "list_url": reverse("admin:clients_client_changelist") + "?status__exact=review",
        "rows": [
            {
                "name": client.display_name,
                "document": f"{client.document_type} {client.document_number}",
                "url": reverse("admin:clients_client_change", args=[client.pk]),
                "owner": client.owner.display_name,
                "created_at": client.created_at,
                "missing": services.activation_errors(
                    client,
                    overview=True,
                    document_kinds=[kind for kind in DocumentKind.values if getattr(client, f"has_{kind}")],
                ),
            }
            for client in clients
        ],
    }
