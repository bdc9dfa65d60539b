"""Compliance in the admin: the operation page's box and origin-of-funds row, the officer's read-only
view, the register of unusual operations and the clients "to complete" filter."""

import pytest
from django.test import Client as Browser

from accounts.models import AuditEntry
from clients.tests.factories import active_client
from operations import services
from operations.models import AuditAction, FundsDeclaration, Operation, UnusualOperation, UnusualStatus
from operations.tests.conftest import change_form_data, new_row_data, pdf

pytestmark = pytest.mark.django_db


def change_url(op):
    return f"/admin/operations/operation/{op.pk}/change/"


def logged(user):
    browser = Browser()
    browser.force_login(user)
    return browser


def test_the_page_shows_the_register_badge_and_the_missing_declaration(make_operation, trader):
    op = make_operation(amount_usd="12000.00")
    html = logged(trader).get(change_url(op)).content.decode()
    assert "RO única" in html
    assert "obligatorio desde US$ 5,000.00: aún no registrado" in html
    assert "registre la declaración del origen de los fondos antes de enviarla a proceso" in html
    small = make_operation(amount_usd="100.00")
    assert "op-compliance" not in logged(trader).get(change_url(small)).content.decode()


def test_the_list_filters_and_marks_register_operations(make_operation, master):
    flagged = make_operation(amount_usd="10000.00")
    plain = make_operation(amount_usd="100.00")
    html = logged(master).get("/admin/operations/operation/", {"register": "single"}).content.decode()
    assert flagged.code in html and plain.code not in html
    assert "op-badge-ro" in html


def test_the_trader_records_the_declaration_on_the_operation_page(make_operation, trader):
    op = make_operation(amount_usd="6000.00")
    browser = logged(trader)
    page = browser.get(change_url(op))
    data = new_row_data(page, FundsDeclaration, origin="savings", detail="Ahorros de diez años", file=pdf("boleta.pdf"))
    response = browser.post(change_url(op), data)
    assert response.status_code == 302
    declaration = FundsDeclaration.objects.get(operation=op)
    assert declaration.recorded_by == trader and declaration.original_name == "boleta.pdf"
    assert AuditEntry.objects.filter(action=AuditAction.FUNDS_DECLARED, object_id=str(declaration.pk)).exists()
    html = browser.get(change_url(op)).content.decode()
    assert "Ahorros: Ahorros de diez años" in html and "/admin/files/fundsdeclaration/" in html


def test_a_refused_declaration_keeps_the_page_and_stores_nothing(make_operation, trader):
    op = make_operation(amount_usd="6000.00")
    browser = logged(trader)
    data = new_row_data(browser.get(change_url(op)), FundsDeclaration, origin="other", detail=" ")
    response = browser.post(change_url(op), data)
    assert response.status_code == 200
    assert "Indique de dónde proviene el dinero cuando el origen es «Otro»." in response.content.decode()
    assert not FundsDeclaration.objects.exists()


def test_the_officer_reads_operations_without_profit_or_edits(make_operation, officer):
    op = make_operation(amount_usd="12000.00")
    browser = logged(officer)
    response = browser.get(change_url(op))
    html = response.content.decode()
    assert response.status_code == 200 and op.code in html
    assert "utilidad PEN" not in html and 'name="_save"' not in html
    data = change_form_data(response)
    data["notes"] = "cambio"
    assert browser.post(change_url(op), data).status_code == 403
    assert Operation.objects.get(pk=op.pk).notes == ""
    assert browser.get("/admin/clients/client/").status_code == 200
    assert browser.get("/admin/reports/position/").status_code == 403


def test_the_officer_marks_and_evaluates_an_unusual_operation(make_operation, officer):
    op = make_operation(amount_usd="9500.00")
    browser = logged(officer)
    page = browser.get(change_url(op)).content.decode()
    assert f"/admin/operations/unusualoperation/add/?operation={op.pk}" in page
    form = browser.get(f"/admin/operations/unusualoperation/add/?operation={op.pk}")
    assert form.status_code == 200
    response = browser.post(
        "/admin/operations/unusualoperation/add/", {"operation": op.pk, "note": "Monto justo bajo el umbral"}
    )
    assert response.status_code == 302
    entry = UnusualOperation.objects.get(operation=op)
    assert entry.status == UnusualStatus.EVALUATING and entry.marked_by == officer
    url = f"/admin/operations/unusualoperation/{entry.pk}/change/"
    response = browser.post(url, {"status": UnusualStatus.REPORTED, "evaluation": "", "uif_reference": ""})
    assert response.status_code == 200
    assert "Escriba la evaluación que sustenta la decisión." in response.content.decode()
    response = browser.post(
        url, {"status": UnusualStatus.REPORTED, "evaluation": "Fraccionamiento", "uif_reference": "ROS-2026-15"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == UnusualStatus.REPORTED and entry.decided_by == officer and entry.decided_at
    assert AuditEntry.objects.filter(action=AuditAction.UNUSUAL_CHANGED, object_id=str(entry.pk)).exists()
    assert "Reportada a la UIF" in browser.get(change_url(op)).content.decode()


def test_unusual_entries_are_never_deleted_and_traders_cannot_mark(make_operation, trader, officer):
    op = make_operation()
    entry = services.mark_unusual(op, by=officer, note="Cliente nervioso")
    assert logged(trader).get("/admin/operations/unusualoperation/add/").status_code == 403
    assert logged(officer).get(f"/admin/operations/unusualoperation/{entry.pk}/delete/").status_code == 403
    with pytest.raises(Exception, match="ya está en el registro"):
        services.mark_unusual(op, by=officer, note="otra vez")


def test_clients_missing_register_data_are_listed_to_complete(trader, master):
    missing = active_client(owner=trader, nationality="", date_of_birth=None)
    complete = active_client(owner=trader)
    html = logged(master).get("/admin/clients/client/", {"register_data": "missing"}).content.decode()
    assert missing.document_number in html and complete.document_number not in html
    assert missing.compliance_gaps() == ["nacionalidad", "fecha de nacimiento"]
