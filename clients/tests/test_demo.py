"""Demo data: about 30 valid clients split between the demo traders; idempotent."""

import pytest

from accounts import demo as accounts_demo
from clients import demo, services
from clients.models import Client, ClientStatus, DocumentType

pytestmark = pytest.mark.django_db


def test_seed_is_valid_realistic_and_idempotent(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    users = accounts_demo.seed()
    created = demo.seed()
    assert 25 <= len(created) <= 35
    assert demo.seed() == []  # second run adds nothing
    clients = list(Client.objects.all())
    owners = {c.owner.username for c in clients}
    assert owners == {"trader", "trader2"}  # only portfolio holders, each with a portfolio
    assert {DocumentType.DNI, DocumentType.RUC} <= {c.document_type for c in clients}
    active = [c for c in clients if c.status == ClientStatus.ACTIVE]
    assert len(active) > len(clients) * 0.8
    for client in clients:
        client.full_clean()
    for client in active:
        assert services.activation_errors(client) == [], client
    pending = [c for c in clients if c.status == ClientStatus.INACTIVE]
    assert any(services.activation_errors(c) for c in pending)  # something to refuse
    assert any(not services.activation_errors(c) for c in pending)  # and something to activate
    trader = users["trader"]
    assert not Client.objects.visible_to(trader).filter(owner__username="trader2").exists()


def test_clients_given_to_the_master_by_an_earlier_seed_move_to_a_trader(settings, tmp_path):
    from clients.tests.factories import ClientFactory

    settings.MEDIA_ROOT = tmp_path
    users = accounts_demo.seed()
    stray = ClientFactory(owner=users["master"])
    demo.seed()
    stray.refresh_from_db()
    assert stray.owner == users["trader"]
    assert stray.reassignments.get().from_owner == users["master"]  # moved as the Master would, on record
