"""The operations the index's operations panels list (rates waiting for approval, returned
operations, the operator queue), read for all of them in one query per request.

Each panel keeps its own rule (who sees what, which order, how many): each is a branch of one
UNION ALL, its rows chosen by the panel's own queryset through `pk IN (... LIMIT n)`, so the
index pays one query for the three panels instead of one each.
"""

from django.db.models import BigIntegerField, CharField, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Cast

from operations import policy
from operations.models import Operation, OperationEvent, returns_of
from qoricash.request_memo import memo

APPROVAL_ROWS = 10
QUEUE_ROWS = 50
RETURNED_ROWS = 10
# The returned panel counts up to this many and shows "more than" past it: the count costs the
# same however many old operations were returned and never sent again.
RETURNED_COUNTED = 50

APPROVALS, RETURNED, QUEUE = "approvals", "returned", "queue"
ORDERS = {
    APPROVALS: (lambda op: (op.created_at, op.pk), False),
    QUEUE: (lambda op: (op.sent_to_process_at, op.pk), False),
    RETURNED: (lambda op: (op.returned_at, op.pk), True),
}
# The return's reason, author and time: only the returned branch reads them.
RETURN_COLUMNS = {
    "returned_reason": ("reason", TextField()),
    "returned_by_first": ("by__first_name", CharField()),
    "returned_by_last": ("by__last_name", CharField()),
    "returned_by_username": ("by__username", CharField()),
}


def approvals_queryset(user):
    """Every waiting operation for a supervisor, their own clients' for a trader; None for others."""
    if policy.is_supervisor(user):
        qs = Operation.objects.awaiting_rate_approval()
    elif user.has_perm("operations.add_operation"):
        qs = Operation.objects.visible_to(user).awaiting_rate_approval().filter(client__owner=user)
    else:
        return None
    return qs.order_by("created_at", "id")


def choices(user):
    """{panel: (its queryset in its order, how many rows it reads)} for the panels `user` sees."""
    out = {}
    if user.has_perm("operations.add_operation"):
        out[RETURNED] = (Operation.objects.returned_to(user), RETURNED_COUNTED + 1)
    approvals = approvals_queryset(user)
    if approvals is not None:
        out[APPROVALS] = (approvals, APPROVAL_ROWS)
    if policy.may_see_queue(user):
        out[QUEUE] = (Operation.objects.operator_queue(user), QUEUE_ROWS)
    return out


def _branch(name, queryset, limit):
    branch = (
        Operation.objects.filter(pk__in=queryset.values("pk")[:limit])
        .select_related("client", "trader", "assigned_operator")
        .order_by()
    )
    if name == RETURNED:
        move = OperationEvent.objects.filter(pk=OuterRef("returned_event_id"))
        branch = branch.annotate(returned_event_id=Subquery(returns_of(OuterRef("pk")).values("pk")[:1]))
        columns = {
            key: Subquery(move.values(path)[:1], output_field=field) for key, (path, field) in RETURN_COLUMNS.items()
        }
    else:
        # Typed NULLs: every branch of a UNION has the same column types.
        branch = branch.annotate(returned_event_id=Cast(Value(None), BigIntegerField()))
        columns = {key: Cast(Value(None), field) for key, (_path, field) in RETURN_COLUMNS.items()}
    return branch.annotate(panel=Value(name, output_field=CharField()), **columns)


def read(user):
    """{panel: [operations in the panel's order]} for the panels `user` sees, in one query."""
    wanted = choices(user)
    if not wanted:
        return {}
    branches = [_branch(name, qs, limit) for name, (qs, limit) in wanted.items()]
    rows = list(branches[0].union(*branches[1:], all=True)) if len(branches) > 1 else list(branches[0])
    out = {name: [] for name in wanted}
    for op in rows:
        out[op.panel].append(op)
    for name, ops in out.items():
        key, newest_first = ORDERS[name]
        ops.sort(key=key, reverse=newest_first)
    return out


def for_request(request):
    """`read(request.user)`, once per request whichever panel asks first."""
    return memo(request, "operations.panel_rows", lambda: read(request.user))
