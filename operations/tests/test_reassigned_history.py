"""After a client moves to another trader: the new owner sees its whole history and acts on its open
operations; the trader who executed a closed operation keeps read-only sight of it."""

import pytest
from django.urls import reverse

from clients import services as client_services
from clients.tests.factories import active_client
from operations.models import Operation, OperationStatus
from operations.tests.factories import OperationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(master, trader, other_trader):
    client = active_client(owner=trader)
    done = OperationFactory(client=client, trader=trader, status=OperationStatus.COMPLETED)
    cancelled = OperationFactory(client=client, trader=trader, status=OperationStatus.CANCELLED)
    open_ = OperationFactory(client=client, trader=trader, status=OperationStatus.PENDING)
    client_services.reassign_clients([client], other_trader, by=master)
    return done, cancelled, open_


def test_the_new_owner_sees_the_whole_history(moved, other_trader):
    assert set(Operation.objects.visible_to(other_trader)) == set(moved)


def test_the_former_executive_keeps_sight_of_his_closed_operations_only(moved, trader):
    done, cancelled, open_ = moved
    assert set(Operation.objects.visible_to(trader)) == {done, cancelled}


def test_his_sight_is_read_only(moved, trader, client):
    done, _cancelled, open_ = moved
    client.force_login(trader)
    page = client.get(reverse("admin:operations_operation_change", args=[done.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert (
        client.get(reverse("admin:operations_operation_change", args=[open_.pk])).status_code == 404
    )  # open: the new owner's only
