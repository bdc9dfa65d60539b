"""The base rate is the house's cost: only holders of reports.view_profit see it (rates list, a rate's
page, the index's rates panel and its live refresh, the operation form's rate guard)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from operations import services
from operations.models import ExchangeRate, OperationType
from operations.tests.conftest import accounts_for
from operations.tests.factories import ExchangeRateFactory

BASE = "3.7231"  # a figure no other part of the pages shows
INDEX = reverse("admin:index")
PANELS = reverse("admin:panels")
RATES = reverse("admin:operations_exchangerate_changelist")
ADD_RATE = reverse("admin:operations_exchangerate_add")
ADD_OPERATION = reverse("admin:operations_operation_add")


@pytest.fixture
def odd_rate(master):
    return ExchangeRateFactory(set_by=master, base=Decimal(BASE), buy=Decimal("3.7000"), sell=Decimal("3.7500"))


def pages(browser, rate):
    change = reverse("admin:operations_exchangerate_change", args=[rate.pk])
    out = {}
    for name, url in (("list", RATES), ("change", change), ("index", INDEX), ("panels", PANELS)):
        response = browser.get(url)
        assert response.status_code == 200, name
        out[name] = response.content.decode()
    return out


@pytest.mark.parametrize("role", ["trader", "operador"])
def test_trader_and_operador_never_see_the_base_rate(request, odd_rate, role):
    browser = Client()
    browser.force_login(request.getfixturevalue(role))
    for name, html in pages(browser, odd_rate).items():
        assert BASE not in html, name
        assert "3.7500" in html, name  # the page did show the rate
    listing = pages(browser, odd_rate)["list"]
    assert "column-base_display" not in listing
    assert "Publicado por" in pages(browser, odd_rate)["index"]


def test_master_sees_the_base_rate_everywhere(master_client, odd_rate):
    for name, html in pages(master_client, odd_rate).items():
        assert BASE in html, name
    assert "column-base_display" in pages(master_client, odd_rate)["list"]


def test_the_operation_form_carries_the_base_only_for_profit_readers(trader, master, odd_rate):
    browser = Client()
    browser.force_login(trader)
    assert BASE not in browser.get(ADD_OPERATION).content.decode()
    browser.force_login(master)
    assert f'"base": "{BASE}"' in browser.get(ADD_OPERATION).content.decode()


def test_the_rate_guard_warning_names_no_base_or_profit_to_a_trader(trader_client, odd_rate, trader):
    from clients.tests.factories import active_client

    client = active_client(owner=trader)
    source, destination = accounts_for(client, OperationType.BUY)
    data = {
        "client": client.pk,
        "type": OperationType.BUY,
        "amount_usd": "1000.00",
        "rate": "3.7300",  # within tolerance of the compra, but above the base: a loss
        "notes": "",
        "source_account": source.pk,
        "destination_account": destination.pk,
    }
    html = trader_client.post(ADD_OPERATION, data).content.decode()
    assert "pierde frente al tipo de cambio base." in html
    assert BASE not in html and "Utilidad resultante" not in html and "S/ -6.90" not in html


def test_a_publisher_without_view_profit_cannot_publish(odd_rate):
    publisher = UserFactory(username="rates_only")
    publisher.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="operations", codename__in=["add_exchangerate", "view_exchangerate"]
        )
    )
    browser = Client()
    browser.force_login(publisher)
    assert browser.get(ADD_RATE).status_code == 403
    assert reverse("admin:operations_exchangerate_add") not in browser.get(INDEX).content.decode()
    with pytest.raises(PermissionDenied):
        services.publish_rate(by=publisher, base="3.72", buy="3.70", sell="3.75")
    assert ExchangeRate.objects.count() == 1
