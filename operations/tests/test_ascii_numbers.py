"""Amounts and rates are typed with ASCII digits and one decimal point: full-width or Arabic-Indic
digits, underscores, exponents and NaN (all of which Python's Decimal() reads) are refused with the
Spanish message and nothing is saved, on every form that takes money."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clients.models import Currency
from operations.models import Deposit, ExchangeRate, OpeningBalance, Operation, OperationType
from operations.tests.conftest import accounts_for, change_form_data, inline_prefix, new_row_data
from operations.treasury import lima_today
from reports.models import TraderGoal

ODD = ["１００", "٥٠٠", "1_000", "1E5", "３.７", "NaN", "1.2.3"]
ODD_RATES = ["３.７", "٣.٧", "3_7", "37E-1", "Infinity"]
PLAIN = "Escriba el número con los dígitos 0-9 y punto decimal, por ejemplo 1250.50."
GROUPED = "Escriba el número con los dígitos 0-9, punto decimal y, si lo desea, comas de miles, por ejemplo 1,250.50."
ADD_OPERATION = reverse("admin:operations_operation_add")
ADD_RATE = reverse("admin:operations_exchangerate_add")


def post_operation(browser, client, **overrides):
    source, destination = accounts_for(client, OperationType.SELL)
    data = {
        "client": client.pk,
        "type": OperationType.SELL,
        "amount_usd": "1000.00",
        "rate": "",
        "notes": "",
        "source_account": source.pk,
        "destination_account": destination.pk,
        **overrides,
    }
    return browser.post(ADD_OPERATION, data)


@pytest.mark.parametrize("field", ["amount_usd", "rate"])
@pytest.mark.parametrize("value", ODD)
def test_the_operation_form_refuses_odd_numbers(trader_client, rate, client_of_trader, field, value):
    response = post_operation(trader_client, client_of_trader, **{field: value})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [PLAIN]
    assert not Operation.objects.exists()


def test_the_operation_form_still_takes_a_plain_amount(trader_client, rate, client_of_trader):
    response = post_operation(trader_client, client_of_trader, amount_usd="1000.50", rate="3.7500")
    assert response.status_code == 302
    assert Operation.objects.get().amount_usd == Decimal("1000.50")


@pytest.mark.parametrize("value", ODD_RATES)
@pytest.mark.parametrize("field", ["buy", "sell", "base"])
def test_the_rate_form_refuses_odd_numbers(master_client, field, value):
    data = {"buy": "3.70", "sell": "3.75", "base": "3.72", "effective_at_0": "2026-01-01", "effective_at_1": "10:00"}
    response = master_client.post(ADD_RATE, {**data, field: value})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [PLAIN]
    assert not ExchangeRate.objects.exists()


def test_the_rate_form_still_takes_plain_rates(master_client):
    data = {"buy": "3.7000", "sell": "3.75", "base": "3.72", "effective_at_0": "2026-01-01", "effective_at_1": "10:00"}
    assert master_client.post(ADD_RATE, data).status_code == 302
    assert ExchangeRate.objects.get().sell == Decimal("3.7500")


@pytest.mark.parametrize("value", ["１００", "1E2", "1_00"])
def test_the_deposit_row_refuses_odd_numbers(trader_client, make_operation, houses, value):
    op = make_operation(OperationType.SELL, "100.00")
    url = reverse("admin:operations_operation_change", args=[op.pk])
    page = trader_client.get(url)
    pen = op.client.accounts.get(currency=Currency.PEN)
    data = new_row_data(
        page,
        Deposit,
        amount=value,
        bank_reference="778899",
        client_account=pen.pk,
        house_account=houses[Currency.PEN].pk,
    )
    response = trader_client.post(url, data)
    assert response.status_code == 200
    prefix = inline_prefix(page, Deposit)
    row = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == prefix).formset.forms[-1]
    assert row.errors["amount"] == [PLAIN]
    assert not op.deposits.exists()


def test_the_operation_amount_change_refuses_odd_numbers(trader_client, make_operation):
    op = make_operation(OperationType.SELL, "100.00")
    url = reverse("admin:operations_operation_change", args=[op.pk])
    data = change_form_data(trader_client.get(url))
    response = trader_client.post(url, {**data, "amount_usd": "２00", "_continue": "1"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["amount_usd"] == [PLAIN]
    op.refresh_from_db()
    assert op.amount_usd == Decimal("100.00")


@pytest.mark.parametrize("value", ODD + ["1,00", "1 000"])
def test_treasury_forms_refuse_odd_numbers(master_client, houses, value):
    response = master_client.post(
        reverse("admin:operations_treasury_opening"),
        {"account": houses[Currency.USD].pk, "date": lima_today().isoformat(), "amount": value},
    )
    assert response.status_code == 200
    assert GROUPED in response.content.decode()
    assert not OpeningBalance.objects.exists()


@pytest.mark.parametrize("value, amount", [("1,000.50", "1000.50"), ("1000.50", "1000.50"), ("12,345,678", "12345678")])
def test_treasury_forms_still_take_thousands_commas(master_client, houses, value, amount):
    response = master_client.post(
        reverse("admin:operations_treasury_opening"),
        {"account": houses[Currency.USD].pk, "date": lima_today().isoformat(), "amount": value},
    )
    assert response.status_code == 302
    assert OpeningBalance.objects.get().amount == Decimal(amount)


def test_a_treasury_rate_refuses_odd_numbers(master_client, houses):
    response = master_client.post(
        reverse("admin:operations_treasury_movement"),
        {
            "kind": "fx_buy",
            "date": lima_today().isoformat(),
            "account": houses[Currency.USD].pk,
            "counter_account": houses[Currency.PEN].pk,
            "amount": "100.00",
            "rate": "３.７",
        },
    )
    assert response.status_code == 200
    assert PLAIN in response.content.decode()


def test_the_goal_form_refuses_odd_numbers(master_client, trader):
    add = reverse("admin:reports_tradergoal_add")
    response = master_client.post(add, {"trader": trader.pk, "year": 2026, "month": 11, "goal_pen": "５000"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["goal_pen"] == [PLAIN]
    assert not TraderGoal.objects.exists()
