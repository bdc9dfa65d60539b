"""The whole life of a Venta and a Compra in a real browser, across Trader, Operador and Master.

Screenshots go to test-artifacts/screenshots/operations-*.png.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from clients.models import Currency
from clients.tests.factories import PDF_BYTES, PNG_BYTES, active_client
from operations.models import EventAction, Operation, OperationStatus
from operations.tests.factories import ExchangeRateFactory, HouseBankAccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(trader, operador, master, tmp_path):
    for user, first, last in ((trader, "Tania", "Rojas"), (operador, "Óscar", "Huamán"), (master, "María", "Quispe")):
        user.first_name, user.last_name = first, last
        user.save()
    ExchangeRateFactory(set_by=master, base=Decimal("3.7200"), buy=Decimal("3.7000"), sell=Decimal("3.7500"))
    HouseBankAccountFactory(currency=Currency.USD, number="1939876543210")
    HouseBankAccountFactory(currency=Currency.PEN, number="1919876543219")
    client = active_client(owner=trader, apellido_paterno="CONDORI", apellido_materno="APAZA", nombres="ROSA")
    pdf = tmp_path / "constancia-abono.pdf"
    pdf.write_bytes(PDF_BYTES)
    png = tmp_path / "constancia-pago.png"
    png.write_bytes(PNG_BYTES)
    return {"client": client, "pdf": str(pdf), "png": str(png)}


def new_page(browser, browser_context_args):
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.on("pageerror", lambda exc: pytest.fail(f"JavaScript error: {exc}"))
    return page


def choose_client(page, name):
    page.click(".field-client .select2-selection")
    page.fill(".select2-search__field", name)
    page.click(f".select2-results__option:has-text('{name}')")


def create_operation(page, live_server, world, op_type, amount, rate="", expected_preview=None, shot=None):
    page.goto(f"{live_server.url}/admin/operations/operation/add/")
    expect(page.locator(".op-rate-note")).to_contain_text("compra 3.7000 · venta 3.7500")
    choose_client(page, "CONDORI")
    page.check(f"input[name=type][value={op_type}]")
    client = world["client"]
    sends = Currency.USD if op_type == "buy" else Currency.PEN
    source = client.accounts.get(currency=sends)
    destination = client.accounts.exclude(currency=sends).get()
    # Accounts are filled by currency once the client is chosen (one each: selected by themselves).
    expect(page.locator("#id_source_account")).to_have_value(str(source.pk))
    expect(page.locator("#id_destination_account")).to_have_value(str(destination.pk))
    if rate:
        page.fill("#id_rate", rate)
    page.fill("#id_amount_usd", amount)
    if expected_preview:
        expect(page.locator("#op-pen-preview")).to_contain_text(expected_preview)  # before saving
    if shot:
        page.screenshot(path=shot, full_page=True)
    page.click("input[name=_save]")
    expect(page.locator(".op-summary .op-badge")).to_have_text("Pendiente")
    code = page.locator(".op-summary .op-code").inner_text()
    return Operation.objects.get(code=code)


def confirm(page, action, reason=None):
    page.click(f"a.op-action-{action}")
    if reason is not None:
        page.fill("#id_reason", reason)
    page.click("input.op-confirm-submit")


def test_venta_and_compra_across_trader_operador_and_master(
    browser, browser_context_args, live_server, admin_login, world, screenshot_dir, trader, operador, master
):
    shots = screenshot_dir
    # --- Trader: a Venta at the published rate; the PEN amount is visible before saving --------------------
    tp = new_page(browser, browser_context_args)
    admin_login(tp, trader.username)
    venta = create_operation(
        tp,
        live_server,
        world,
        "sell",
        "1000",
        expected_preview="S/ 3,750.00",
        shot=shots / "operations-01-trader-new-venta-preview.png",
    )
    assert (venta.code, venta.rate, venta.amount_pen) == ("EXP-1001", Decimal("3.7500"), Decimal("3750.00"))
    expect(tp.locator(".op-balance").first).to_contain_text("Faltan: S/ 3,750.00")

    # A mistaken deposit is voided, never deleted: it stays listed, greyed, and stops counting.
    tp.fill("#id_deposits-0-amount", "3570.00")
    tp.fill("#id_deposits-0-bank_reference", "00456788")
    tp.click("input[name=_continue]")
    expect(tp.locator(".op-balance").first).to_contain_text("Faltan: S/ 180.00")
    assert not tp.locator("#deposits-group input[name$='-DELETE']").count()
    tp.click("#deposits-group a.op-void-link")
    expect(tp.locator(".op-confirm-question")).to_contain_text("Anular abono")
    tp.fill("#id_reason", "Monto equivocado: eran S/ 3,750.00")
    tp.click("input.op-confirm-submit")
    expect(tp.locator(".messagelist")).to_contain_text("Abono de 3,570.00 anulado")
    expect(tp.locator("#deposits-group .op-voided")).to_have_text("Anulado")
    expect(tp.locator(".op-balance").first).to_contain_text("Faltan: S/ 3,750.00")

    # The right deposit (abono) with its voucher, then send to process.
    tp.fill("#id_deposits-1-amount", "3750.00")
    tp.fill("#id_deposits-1-bank_reference", "00456789")
    tp.set_input_files("#id_deposits-1-file", world["pdf"])
    tp.click("input[name=_continue]")
    expect(tp.locator(".op-balance").first).to_contain_text("Completo")
    expect(tp.locator("#deposits-group")).to_contain_text("constancia-abono.pdf")
    tp.screenshot(path=shots / "operations-02-trader-deposit-registered.png", full_page=True)
    assert not tp.locator("a.op-action-complete").count()  # a Trader can never complete
    tp.click("a.op-action-send_to_process")
    expect(tp.locator(".op-confirm-question")).to_contain_text("Enviar a proceso")
    tp.screenshot(path=shots / "operations-03-trader-confirm-send.png", full_page=True)
    tp.click("input.op-confirm-submit")
    expect(tp.locator(".op-summary .op-badge")).to_have_text("En proceso")
    expect(tp.locator(".messagelist")).to_contain_text("Asignada a Óscar Huamán")

    # --- Operador: finds it in the queue, pays with voucher, completes ---------------------------------------
    op_page = new_page(browser, browser_context_args)
    op_page.clock.install()  # lets the test move the 30-second refresh forward
    admin_login(op_page, operador.username)
    queue = op_page.locator("[data-op-queue]")
    expect(queue).to_contain_text("EXP-1001")
    op_page.screenshot(path=shots / "operations-04-operador-queue.png", full_page=True)

    # Meanwhile the Trader creates a Compra (negotiated rate) and sends it with a bank reference only.
    compra = create_operation(tp, live_server, world, "buy", "500.50", rate="3.7100", expected_preview="S/ 1,856.86")
    assert compra.amount_pen == Decimal("1856.86")  # 500.50 × 3.7100 = 1856.855 → HALF_UP
    tp.fill("#id_deposits-0-amount", "500.50")
    tp.fill("#id_deposits-0-bank_reference", "BCP-778899")
    tp.click("input[name=_continue]")
    confirm(tp, "send_to_process")
    expect(tp.locator(".op-summary .op-badge")).to_have_text("En proceso")

    # The operator's queue picks it up on its next 30-second refresh, without reloading the page.
    op_page.clock.fast_forward(31_000)
    expect(queue.locator(f"tr[data-op-id='{compra.pk}']")).to_have_class(re.compile("op-new"))
    expect(queue.locator("[data-op-queue-alert]")).to_contain_text(compra.code)
    assert "Nueva operación asignada" in op_page.title()
    op_page.screenshot(path=shots / "operations-05-operador-queue-new-assignment.png", full_page=True)

    queue.locator("a", has_text="EXP-1001").click()
    expect(op_page.locator(".op-summary .op-badge")).to_have_text("En proceso")
    op_page.fill("#id_payouts-0-amount", "1000.00")
    op_page.set_input_files("#id_payouts-0-file", world["png"])
    op_page.click("input[name=_continue]")
    expect(op_page.locator(".op-balance").nth(1)).to_contain_text("Completo")
    op_page.screenshot(path=shots / "operations-06-operador-payout.png", full_page=True)
    confirm(op_page, "complete")
    expect(op_page.locator(".op-summary .op-badge")).to_have_text("Completada")

    # The Compra: the operator returns it (reason required), the trader sends it again, it is completed.
    op_page.goto(f"{live_server.url}/admin/operations/operation/{compra.pk}/change/")
    op_page.click("a.op-action-return_to_pending")
    op_page.click("input.op-confirm-submit")  # without a reason: refused, nothing changes
    expect(op_page.locator(".errorlist")).to_be_visible()
    op_page.fill("#id_reason", "El abono aún no figura en BCP")
    op_page.click("input.op-confirm-submit")
    expect(op_page.locator(".op-summary .op-badge")).to_have_text("Pendiente")
    tp.goto(f"{live_server.url}/admin/operations/operation/{compra.pk}/change/")
    confirm(tp, "send_to_process")
    op_page.goto(f"{live_server.url}/admin/operations/operation/{compra.pk}/change/")
    op_page.fill("#id_payouts-0-amount", "1856.86")
    op_page.set_input_files("#id_payouts-0-file", world["png"])
    op_page.click("input[name=_continue]")
    confirm(op_page, "complete")
    expect(op_page.locator(".op-summary .op-badge")).to_have_text("Completada")

    # --- Master: the full history with who did what ------------------------------------------------------
    mp = new_page(browser, browser_context_args)
    admin_login(mp, master.username)
    mp.goto(f"{live_server.url}/admin/operations/operation/{venta.pk}/change/")
    history = mp.locator(".op-events")
    for text in (
        "Creada",
        "Abono registrado",
        "Abono anulado",
        "Monto equivocado: eran S/ 3,750.00",
        "Enviada a proceso",
        "Pago registrado",
        "Completada",
        "Tania Rojas",
        "Óscar Huamán",
        "Pendiente → En proceso",
        "En proceso → Completada",
    ):
        expect(history).to_contain_text(text)
    mp.screenshot(path=shots / "operations-07-master-history.png", full_page=True)
    mp.goto(f"{live_server.url}/admin/operations/operation/{compra.pk}/change/")
    expect(mp.locator(".op-events")).to_contain_text("El abono aún no figura en BCP")
    mp.goto(f"{live_server.url}/admin/operations/operation/")
    mp.screenshot(path=shots / "operations-08-master-list.png", full_page=True)

    venta.refresh_from_db()
    compra.refresh_from_db()
    assert venta.deposits.count() == 2 and venta.deposits.voided().get().amount == Decimal("3570.00")
    assert venta.status == compra.status == OperationStatus.COMPLETED
    assert venta.processed_by == operador and compra.processed_by == operador
    assert list(venta.events.values_list("action", "by__username")) == [
        (EventAction.CREATED, trader.username),
        (EventAction.DEPOSIT_ADDED, trader.username),
        (EventAction.DEPOSIT_VOIDED, trader.username),
        (EventAction.DEPOSIT_ADDED, trader.username),
        (EventAction.SENT_TO_PROCESS, trader.username),
        (EventAction.PAYOUT_ADDED, operador.username),
        (EventAction.COMPLETED, operador.username),
    ]
    assert compra.events.filter(action=EventAction.RETURNED, reason="El abono aún no figura en BCP").exists()


def test_trader_cannot_reach_another_traders_operation(
    browser, browser_context_args, live_server, admin_login, world, other_trader
):
    from operations.tests.factories import OperationFactory

    theirs = OperationFactory(client=active_client(owner=other_trader))
    page = new_page(browser, browser_context_args)
    admin_login(page, "t_trader")
    response = page.goto(f"{live_server.url}/admin/operations/operation/{theirs.pk}/change/")
    assert response.status == 404
    response = page.goto(f"{live_server.url}/admin/operations/operation/{theirs.pk}/delete/")
    assert response.status in (403, 404)
    page.goto(f"{live_server.url}/admin/operations/operation/")
    expect(page.locator("#result_list")).not_to_contain_text(theirs.code) if page.locator(
        "#result_list"
    ).count() else None
    assert Operation.objects.filter(pk=theirs.pk).exists()
