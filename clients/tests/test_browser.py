"""In Chromium: a Trader registers a company with two accounts and its documents; an Operador activates it."""

import pytest

from clients.models import Client, ClientStatus, DocumentKind
from clients.tests.factories import PDF_BYTES, valid_ruc


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_trader_registers_a_company_and_an_operador_activates_it(
    live_server, page, admin_login, trader, operador, screenshot_dir, tmp_path
):
    ruc = valid_ruc(2468)
    id_pdf = tmp_path / "dni-representante.pdf"
    id_pdf.write_bytes(PDF_BYTES)
    ficha = tmp_path / "ficha-ruc.pdf"
    ficha.write_bytes(PDF_BYTES)

    # --- The Trader registers the company --------------------------------------------------
    admin_login(page, trader.username)
    page.goto(f"{live_server.url}/admin/clients/client/add/")
    assert page.locator("h1").inner_text() == "Añadir cliente"
    page.select_option("#id_document_type", "RUC")
    assert page.locator("fieldset.client-person").is_hidden()  # the form switches to company fields
    page.fill("#id_document_number", ruc)
    page.fill("#id_razon_social", "Agroexport Norte Perú S.A.")
    page.fill("#id_contact_person", "Luis Ortiz")
    page.fill("#id_legal_rep_name", "Alberto Zegarra Luna")
    page.fill("#id_legal_rep_document_number", "41234567")
    page.fill("#id_email", "finanzas@agronorte.pe")
    page.fill("#id_phones", "014445555; 987654321")
    page.fill("#id_address", "Calle Las Begonias 475")
    page.fill("#id_district", "San Isidro")
    # Two accounts: PEN at BCP, USD at BBVA (CCI required for BBVA).
    page.select_option("#id_accounts-0-bank", "BCP")
    page.select_option("#id_accounts-0-account_type", "checking")
    page.select_option("#id_accounts-0-currency", "PEN")
    page.fill("#id_accounts-0-number", "191-2345678-0-12")
    page.select_option("#id_accounts-1-bank", "BBVA")
    page.select_option("#id_accounts-1-account_type", "checking")
    page.select_option("#id_accounts-1-currency", "USD")
    page.fill("#id_accounts-1-number", "0011-0123-0100012345")
    page.fill("#id_accounts-1-cci", "011-123-000100012345-56")
    # The representative's ID and the Ficha RUC.
    page.select_option("#id_documents-0-kind", DocumentKind.REP_FRONT)
    page.set_input_files("#id_documents-0-file", str(id_pdf))
    page.locator(".inline-group", has_text="Subir documentos").locator(".add-row a").click()
    page.select_option("#id_documents-1-kind", DocumentKind.FICHA_RUC)
    page.set_input_files("#id_documents-1-file", str(ficha))
    page.screenshot(path=str(screenshot_dir / "clients-01-trader-registers-company.png"), full_page=True)
    page.click("input[name=_save]")
    page.wait_for_load_state()
    assert "Se registró correctamente: cliente «" in page.locator(".messagelist").inner_text()
    page.screenshot(path=str(screenshot_dir / "clients-02-trader-list-inactive.png"), full_page=True)
    row = page.locator("#result_list tr", has_text=ruc)
    assert "Inactivo" in row.inner_text()

    client = Client.objects.get(document_number=ruc)
    assert (client.status, client.owner_id) == (ClientStatus.INACTIVE, trader.pk)
    assert client.accounts.count() == 2 and client.documents.count() == 2

    # --- The Operador reviews and activates it ----------------------------------------------
    page.context.clear_cookies()
    admin_login(page, operador.username)
    page.goto(f"{live_server.url}/admin/clients/client/{client.pk}/change/")
    assert "Listo para activar" in page.locator(".client-status-panel").inner_text()
    page.screenshot(path=str(screenshot_dir / "clients-03-operador-reviews.png"), full_page=True)
    page.click("button.client-tool-activate")
    page.wait_for_load_state()
    assert "ahora está Activo" in page.locator(".messagelist").inner_text()
    assert page.locator("button.client-tool-deactivate").is_visible()
    page.screenshot(path=str(screenshot_dir / "clients-04-operador-activated.png"), full_page=True)
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE and client.status_changed_by_id == operador.pk


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_master_reads_the_import_preview_on_a_laptop_and_a_plain_history(
    live_server, page, admin_login, master, trader, other_trader, screenshot_dir, tmp_path
):
    import openpyxl

    from clients import services
    from clients.tests.factories import ClientFactory

    eliana = ClientFactory(
        owner=trader, document_number="41353785", apellido_paterno="CASTRO", apellido_materno="NÚÑEZ", nombres="ELIANA"
    )
    # The whole export of a client, with its two accounts typed in: a wide file.
    page.set_viewport_size({"width": 1366, "height": 768})
    admin_login(page, master.username)
    with page.expect_download() as download:
        page.goto(f"{live_server.url}/admin/clients/client/export/")
        page.click("input[type=submit]")
    exported = tmp_path / "export.xlsx"
    download.value.save_as(exported)
    book = openpyxl.load_workbook(exported)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=headers.index("Cuenta Bancaria 1") + 1, value="INTERBANK | savings | PEN | 2003001234567")
    sheet.cell(
        row=2, column=headers.index("Cuenta Bancaria 2") + 1, value="bcp | ahorros | USD | 19112345678012 | | Lima"
    )
    sheet.cell(row=2, column=headers.index("Dirección") + 1, value="AV. JAVIER PRADO ESTE 4200 DPTO 1502 TORRE B")
    upload = tmp_path / "clientes.xlsx"
    book.save(upload)

    page.goto(f"{live_server.url}/admin/clients/client/import/")
    page.set_input_files("#id_import_file", str(upload))
    page.click("input[type=submit]")
    page.wait_for_load_state()
    values = page.locator("table.client-import-preview tbody tr").first.locator(".client-import-values")
    first = dict(zip(values.locator("dt").all_inner_texts(), values.locator("dd").all_inner_texts(), strict=True))
    page.screenshot(path=str(screenshot_dir / "clients-05-import-preview.png"), full_page=True)
    assert first["Tipo Documento"] == "DNI" and first["Número Documento"] == "41353785"
    assert first["Cuenta Bancaria 1"] == "Interbank | Ahorro | PEN | 2003001234567 | | Lima"
    assert first["Cuenta Bancaria 2"] == "BCP | Ahorro | USD | 19112345678012 | | Lima"
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    services.reassign_clients([eliana.pk], other_trader, by=master)
    page.goto(f"{live_server.url}/admin/clients/client/{eliana.pk}/change/")
    history = page.locator("#reassignments-group")
    history.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "clients-06-client-history.png"), full_page=True)
    assert history.locator("td.original p").first.is_hidden()  # no row label above the row
    assert str(other_trader) in history.locator("td.field-to_name").first.inner_text()
