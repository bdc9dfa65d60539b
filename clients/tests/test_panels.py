"""'Clientes por revisar': the index panel and the list filter that tell new clients from deactivated ones."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients import services
from clients.models import Client
from clients.tests.factories import BankAccountFactory, ClientDocumentFactory, ClientFactory, active_client

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
CHANGELIST = reverse("admin:clients_client_changelist")


def waiting_clients(owner):
    """Three new clients registered on different days (the oldest last in creation order) and a deactivated one."""
    newest = ClientFactory(owner=owner, apellido_paterno="NUEVO")
    oldest = ClientFactory(owner=owner, apellido_paterno="ANTIGUO")
    ready = ClientFactory(owner=owner, apellido_paterno="LISTO")
    BankAccountFactory(client=ready, currency="PEN")
    BankAccountFactory(client=ready, currency="USD")
    ClientDocumentFactory(client=ready)
    now = timezone.now()
    Client.objects.filter(pk=oldest.pk).update(created_at=now - timedelta(days=3))
    Client.objects.filter(pk=ready.pk).update(created_at=now - timedelta(days=2))
    Client.objects.filter(pk=newest.pk).update(created_at=now - timedelta(days=1))
    return oldest, ready, newest


def test_the_operador_sees_new_clients_oldest_first_with_what_they_lack(operador_client, operador, master, trader):
    oldest, ready, newest = waiting_clients(trader)
    gone = active_client(owner=trader, apellido_paterno="DESACTIVADO")
    services.deactivate_client(gone, by=master, reason="Pidió la baja")

    response = operador_client.get(INDEX)
    panel = next(p for p in response.context["panels"] if p["template"] == "clients/panels/review.html")
    assert [r["url"] for r in panel["ctx"]["rows"]] == [
        reverse("admin:clients_client_change", args=[c.pk]) for c in (oldest, ready, newest)
    ]
    assert panel["ctx"]["total"] == 3  # the deactivated client is not waiting for a review
    lacks = panel["ctx"]["rows"][0]["missing"]
    assert any("cuentas bancarias" in m for m in lacks) and any("documento de identidad" in m for m in lacks)
    assert panel["ctx"]["rows"][1]["missing"] == []
    content = response.content.decode()
    assert "Clientes por revisar" in content and "Completo: se puede activar." in content


def shows_review_panel(client, user):
    client.force_login(user)
    return any(p["template"] == "clients/panels/review.html" for p in client.get(INDEX).context["panels"])


def test_the_panel_is_hidden_from_who_cannot_activate_and_when_nobody_waits(client, operador, trader):
    assert not shows_review_panel(client, operador)  # nobody waiting
    waiting_clients(trader)
    assert shows_review_panel(client, operador)
    assert not shows_review_panel(client, trader)  # a trader cannot activate


def test_the_status_filter_tells_new_clients_from_deactivated_ones(operador_client, master, trader):
    oldest, ready, newest = waiting_clients(trader)
    gone = active_client(owner=trader)
    services.deactivate_client(gone, by=master)
    active = active_client(owner=trader)

    def listed(value):
        response = operador_client.get(CHANGELIST, {"status__exact": value})
        return {c.pk for c in response.context["cl"].result_list}

    assert listed("review") == {oldest.pk, ready.pk, newest.pk}
    assert listed("deactivated") == {gone.pk}
    assert listed("active") == {active.pk}
    content = operador_client.get(CHANGELIST).content.decode()
    assert "Por revisar (nunca activados)" in content and "Desactivados" in content


def test_the_panel_reads_clients_with_their_document_kinds_and_then_their_accounts(
    operador, trader, rf, django_assert_num_queries
):
    from clients.panels import review_panel

    oldest, ready, newest = waiting_clients(trader)
    for _ in range(3):
        ClientDocumentFactory(client=newest)
    request = rf.get(INDEX)
    request.user = operador
    operador.has_perm("clients.activate_client")  # the user's permissions are read once per request
    with django_assert_num_queries(2):
        ctx = review_panel(request)
    missing = {row["url"]: row["missing"] for row in ctx["rows"]}
    assert missing[reverse("admin:clients_client_change", args=[ready.pk])] == []
    assert not any(
        "documento de identidad" in m for m in missing[reverse("admin:clients_client_change", args=[newest.pk])]
    )
    assert any("documento de identidad" in m for m in missing[reverse("admin:clients_client_change", args=[oldest.pk])])


def test_the_panel_counts_up_to_its_cap_and_says_more_than(operador_client, trader, monkeypatch):
    from clients import panels

    monkeypatch.setattr(panels, "REVIEW_COUNTED", 2)
    oldest, ready, newest = waiting_clients(trader)
    response = operador_client.get(INDEX)
    panel = next(p for p in response.context["panels"] if p["template"] == "clients/panels/review.html")
    assert panel["ctx"]["capped"] and panel["ctx"]["total"] == 2
    # The oldest are still the ones shown, whatever the cap leaves out of the count.
    assert panel["ctx"]["rows"][0]["url"] == reverse("admin:clients_client_change", args=[oldest.pk])
    assert "Más de 2 en total." in response.content.decode()

    monkeypatch.setattr(panels, "REVIEW_COUNTED", 3)
    panel = next(
        p for p in operador_client.get(INDEX).context["panels"] if p["template"] == "clients/panels/review.html"
    )
    assert not panel["ctx"]["capped"] and panel["ctx"]["total"] == 3
