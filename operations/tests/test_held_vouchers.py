"""A voucher attached to a deposit row the server refuses is kept: the next submit needs no new file."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from clients.models import Currency
from operations.models import Deposit, OperationType
from operations.tests.conftest import inline_prefix, new_row_data, pdf

pytestmark = pytest.mark.django_db


def test_a_voucher_is_kept_across_a_refused_deposit(trader_client, make_operation, houses):
    op = make_operation(OperationType.SELL, "100.00")
    url = reverse("admin:operations_operation_change", args=[op.pk])
    page = trader_client.get(url)
    prefix = inline_prefix(page, Deposit)
    wrong = op.client.accounts.get(currency=Currency.USD)  # a Venta is paid in PEN: refused
    data = new_row_data(
        page,
        Deposit,
        amount="375.00",
        bank_reference="778899",
        client_account=wrong.pk,
        house_account=houses[Currency.PEN].pk,
        file=pdf("abono-bcp.pdf"),
    )
    response = trader_client.post(url, data)
    assert response.status_code == 200 and not op.deposits.exists()
    content = response.content.decode()
    assert "Archivo ya adjunto: abono-bcp.pdf" in content
    index = data[f"{prefix}-TOTAL_FORMS"] - 1
    reference = re.search(rf'name="{prefix}-{index}-file__held" value="([0-9a-f-]+)"', content).group(1)

    data[f"{prefix}-{index}-client_account"] = op.client.accounts.get(currency=Currency.PEN).pk
    data.pop(f"{prefix}-{index}-file")
    data[f"{prefix}-{index}-file__held"] = reference
    response = trader_client.post(url, data)
    assert response.status_code == 302
    deposit = op.deposits.get()
    assert deposit.amount == Decimal("375.00") and deposit.original_name == "abono-bcp.pdf" and deposit.sha256
