import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

LIMA = ZoneInfo("America/Lima")


def lima(y, m, d, hh=12, mm=0, ss=0):
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=LIMA)


@pytest.fixture
def make_op(db):
    """make_op(type, usd, rate, status=..., at=<aware dt>, client=..., completed_at=...) -> Operation.

    created_at is auto_now_add, so the wanted instant is written with an update afterwards.
    """
    from clients.tests.factories import active_client
    from operations.models import Operation, OperationStatus
    from operations.tests.factories import OperationFactory

    clients = {}

    def make(
        type="buy",
        usd="1000.00",
        rate="3.7000",
        *,
        status=OperationStatus.PENDING,
        at=None,
        client=None,
        owner=None,
        base_rate="3.7200",
        completed_at=None,
        **kwargs,
    ):
        if client is None:
            key = owner.pk if owner is not None else None
            if key not in clients:
                clients[key] = active_client(owner=owner) if owner is not None else active_client()
            client = clients[key]
        op = OperationFactory(
            client=client,
            type=type,
            amount_usd=Decimal(usd),
            rate=Decimal(rate),
            base_rate=Decimal(base_rate),
            status=status,
            **kwargs,
        )
        updates = {}
        if at is not None:
            updates["created_at"] = at
        if status == OperationStatus.COMPLETED:
            updates["completed_at"] = completed_at or at or op.created_at
        if updates:
            Operation.objects.filter(pk=op.pk).update(**updates)
            op.refresh_from_db()
        return op

    return make
