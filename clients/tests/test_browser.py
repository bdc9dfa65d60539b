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
    assert "fue agregado correctamente" in page.locator(".messagelist").inner_text()
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
def test_master_reads_the_bank_account_preview_and_a_plain_history(
    live_server, page, admin_login, master, trader, other_trader, screenshot_dir, tmp_path
):
    import openpyxl

    from clients import services
    from clients.tests.factories import ClientFactory

    eliana = ClientFactory(
        owner=trader, document_number="41353785", apellido_paterno="CASTRO", apellido_materno="NÚÑEZ", nombres="ELIANA"
    )
    book = openpyxl.Workbook()
    book.active.append(["Tipo Documento", "Número Documento", "Banco", "Tipo Cuenta", "Moneda", "Número Cuenta"])
    book.active.append(["DNI", "41353785", "INTERBANK", "savings", "PEN", "2003001234567"])
    book.active.append(["DNI", "41353785", "bcp", "ahorros", "USD", "19112345678012"])
    upload = tmp_path / "cuentas.xlsx"
    book.save(upload)

    admin_login(page, master.username)
    page.goto(f"{live_server.url}/admin/clients/client/import/")
    page.select_option("#id_resource", "1")
    page.set_input_files("#id_import_file", str(upload))
    page.click("input[type=submit]")
    page.wait_for_load_state()
    table = page.locator("table.client-import-preview")
    headers = table.locator("thead th").all_inner_texts()
    first = dict(zip(headers, table.locator("tbody tr").first.locator("td").all_inner_texts(), strict=True))
    page.screenshot(path=str(screenshot_dir / "clients-05-import-accounts-preview.png"), full_page=True)
    assert first["TIPO DOCUMENTO"] == "DNI" and first["NÚMERO DOCUMENTO"] == "41353785"
    assert first["CLIENTE"] == "CASTRO NÚÑEZ ELIANA"
    assert (first["BANCO"], first["TIPO CUENTA"], first["UBICACIÓN"]) == ("Interbank", "Ahorro", "Lima")

    services.reassign_clients([eliana.pk], other_trader, by=master)
    page.goto(f"{live_server.url}/admin/clients/client/{eliana.pk}/change/")
    history = page.locator("#reassignments-group")
    history.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "clients-06-client-history.png"), full_page=True)
    assert history.locator("td.original p").first.is_hidden()  # no row label above the row
    assert str(other_trader) in history.locator("td.field-to_name").first.inner_text()
