"""The pages the benchmark measures, resolved against the generated data (needs Django set up).

`pages()` returns (name, role, path) in a fixed order; the sample values (a code, a document, a
surname, the busiest day) are read from the database the same way every run, so two runs on the
same data request the same URLs.
"""

import datetime as dt
from urllib.parse import urlencode

ROLES = {"master": "gen.master", "trader": "gen.trader01", "operator": "gen.operator01"}


def _samples():
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from clients.models import Client
    from operations.models import Operation, OperationStatus
    from reports.services import LIMA

    ops = Operation.objects.order_by("id")
    total = ops.count()
    # An operation of the benchmark trader's portfolio: the trader's and the Master's page alike.
    mine = ops.filter(status=OperationStatus.COMPLETED, client__owner__username=ROLES["trader"])
    middle = mine[mine.count() // 2 : mine.count() // 2 + 1].get() if mine.exists() else ops[total // 2]
    client = Client.objects.filter(pk=middle.client_id).get()
    busiest = (
        Operation.objects.annotate(day=TruncDate("created_at", tzinfo=LIMA))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("-n", "day")
        .first()["day"]
    )
    newest = ops.last().created_at.astimezone(LIMA).date()
    month_start = (newest.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month_end = newest.replace(day=1) - dt.timedelta(days=1)
    return {
        "op": middle,
        "client": client,
        "surname": client.apellido_paterno or client.razon_social.split()[0],
        "busiest": busiest,
        "today": newest,
        "month": (month_start, month_end),
    }


def pages():
    from django.urls import reverse

    from reports.services import LIMA

    s = _samples()
    ops = reverse("admin:operations_operation_changelist")
    clients = reverse("admin:clients_client_changelist")
    month_from, month_to = s["month"]
    day = s["busiest"].isoformat()

    def q(base, **params):
        return f"{base}?{urlencode(params)}"

    def span(first, last):
        # As the date filter's own links give them: Lima midnights with their offset.
        def midnight(day):
            return dt.datetime.combine(day, dt.time.min, tzinfo=LIMA).isoformat(sep=" ")

        return {"created_at__gte": midnight(first), "created_at__lt": midnight(last + dt.timedelta(days=1))}

    position = reverse("admin:reports_position")
    history = reverse("admin:reports_history_xlsx")
    year_ago = s["today"] - dt.timedelta(days=364)
    return [
        ("operations list", "master", ops),
        ("operations, status completed", "master", q(ops, status__exact="completed")),
        ("operations, one month", "master", q(ops, **span(month_from, month_to))),
        ("operations, completed today", "master", q(ops, status__exact="completed", **span(s["today"], s["today"]))),
        ("operations, search code", "master", q(ops, q=s["op"].code)),
        ("operations, search document", "master", q(ops, q=s["client"].document_number)),
        ("operations, search surname", "master", q(ops, q=s["surname"])),
        ("operations list (trader)", "trader", ops),
        ("clients list", "master", clients),
        ("clients, search 'gar'", "master", q(clients, q="gar")),
        ("clients, search document", "master", q(clients, q=s["client"].document_number)),
        ("operation page", "master", reverse("admin:operations_operation_change", args=[s["op"].pk])),
        ("client page", "master", reverse("admin:clients_client_change", args=[s["client"].pk])),
        ("position, busiest day", "master", q(position, date=day)),
        ("position, one month", "master", q(position, **{"from": month_from.isoformat(), "to": month_to.isoformat()})),
        ("index (master)", "master", reverse("admin:index")),
        ("index (trader)", "trader", reverse("admin:index")),
        ("index (operator)", "operator", reverse("admin:index")),
        ("queue refresh", "operator", reverse("admin:operations_queue")),
        ("history export, one year", "master", q(history, **span(year_ago, s["today"]))),
        ("history export, everything", "master", history),
    ]
