"""Fixtures for the operations tests: a published rate, house accounts, a trader's client, helpers."""

from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from clients.models import Currency
from clients.tests.factories import PDF_BYTES, PNG_BYTES, active_client
from operations import services
from operations.models import Deposit, OperationType, Payout
from operations.tests.factories import ExchangeRateFactory, HouseBankAccountFactory


def pdf(name="voucher.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png(name="voucher.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


@pytest.fixture
def rate(master):
    return ExchangeRateFactory(set_by=master, base=Decimal("3.7200"), buy=Decimal("3.7000"), sell=Decimal("3.7500"))


@pytest.fixture
def house_usd(db):
    return HouseBankAccountFactory(currency=Currency.USD)


@pytest.fixture
def house_pen(db):
    return HouseBankAccountFactory(currency=Currency.PEN)


@pytest.fixture
def houses(house_usd, house_pen):
    return {Currency.USD: house_usd, Currency.PEN: house_pen}


@pytest.fixture
def client_of_trader(trader):
    return active_client(owner=trader)


def accounts_for(client, op_type):
    usd = client.accounts.get(currency=Currency.USD)
    pen = client.accounts.get(currency=Currency.PEN)
    return (usd, pen) if op_type == OperationType.BUY else (pen, usd)


@pytest.fixture
def make_operation(rate, trader, client_of_trader):
    def make(op_type=OperationType.BUY, amount_usd="1000.00", user=None, client=None, rate_value=None, **kw):
        client = client or client_of_trader
        source, destination = accounts_for(client, op_type)
        return services.create_operation(
            by=user or client.owner,
            client=client,
            type=op_type,
            amount_usd=amount_usd,
            rate=rate_value,
            source_account=source,
            destination_account=destination,
            **kw,
        )

    return make


def register_movement(model, houses, voucher):
    """(user, op, amount=None, file=True, **fields) -> a `model` row that settles `op`'s side exactly."""

    def do(user, op, amount=None, file=True, **fields):
        currency = getattr(op, f"client_{model.side}_currency")
        return services.add_movement(
            op,
            model,
            by=user,
            amount=amount if amount is not None else getattr(op, f"client_{model.side}_amount"),
            client_account=op.client.accounts.get(currency=currency),
            house_account=houses[currency],
            file=voucher() if file else None,
            **fields,
        )

    return do


@pytest.fixture
def fund(houses):
    """fund(user, op): register deposits that add up exactly to what the client sends."""
    deposit = register_movement(Deposit, houses, pdf)

    def do(user, op, amount=None, file=True, reference="OP123456"):
        return deposit(user, op, amount, file, bank_reference=reference)

    return do


@pytest.fixture
def pay(houses):
    """pay(user, op): register a payout that adds up exactly to what the client receives."""
    return register_movement(Payout, houses, png)


@pytest.fixture
def in_process_op(make_operation, fund, trader, operador):
    """A Compra sent to process and assigned to the `operador` fixture (the only operator)."""
    op = make_operation()
    fund(trader, op)
    op = services.send_to_process(op, by=trader)
    assert op.assigned_operator == operador
    return op


def change_form_data(response):
    """POST data that re-submits an admin change form as rendered (main form + every inline formset)."""
    data = {}
    adminform = response.context["adminform"]
    for name, field in adminform.form.fields.items():
        value = adminform.form.initial.get(name, field.initial)
        if value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        mgmt = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{formset.prefix}-{name}"] = mgmt.initial.get(name, mgmt[name].value())
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.initial_form_count()
        for i, form in enumerate(formset.initial_forms):
            for name, field in form.fields.items():
                if name == "file":
                    continue
                value = form.initial.get(name, field.initial)
                if value is not None and value is not False:
                    data[f"{formset.prefix}-{i}-{name}"] = value.pk if hasattr(value, "pk") else value
    return data


def new_row_data(response, model, **fields):
    """The change form as rendered plus one new `model` row with `fields`, saved with "continue"."""
    data = change_form_data(response)
    prefix = inline_prefix(response, model)
    data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-TOTAL_FORMS"] + 1
    index = data[f"{prefix}-TOTAL_FORMS"] - 1
    data.update({f"{prefix}-{index}-{name}": value for name, value in fields.items()})
    data["_continue"] = "1"
    return data


def inline_prefix(response, model):
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return inline.formset.prefix
    raise AssertionError(f"no inline for {model}")


# A service refuses with one of these two (the service contract).
REFUSED = (ValidationError, PermissionDenied)


def text_of(exc):
    """The Spanish text of a refusal."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def field_of(exc):
    """The one field a refusal names (None when it is about the whole action)."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        fields = [f for f in exc.error_dict if f != NON_FIELD_ERRORS]
        assert len(fields) <= 1, fields
        return fields[0] if fields else None
    return None
