"""Import (all-or-nothing, row errors with row numbers) and export (columns, masking, scoping)."""

import io

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import dateformat, timezone

from accounts.audit import action_label
from accounts.models import AuditEntry
from clients.audit_actions import ClientAction
from clients.models import BankAccount, Client, ClientStatus, Currency
from clients.resources import ClientResource
from clients.tests.factories import ClientFactory, CompanyFactory, active_client, valid_ruc

pytestmark = pytest.mark.django_db

CLIENT_HEADERS = [
    "Tipo Documento",
    "Número Documento",
    "Apellido Paterno",
    "Apellido Materno",
    "Nombres",
    "Razón Social",
    "Email",
    "Teléfono",
]


def client_rows(n=10, bad_row=None):
    rows = []
    for i in range(n):
        if i % 2:
            ruc = valid_ruc(9000 + i)
            if i == bad_row:
                ruc = ruc[:-1] + str((int(ruc[-1]) + 1) % 10)  # wrong check digit
            rows.append(["RUC", ruc, "", "", "", f"Empresa {i} S.A.C.", f"e{i}@empresa.pe", "014445555"])
        else:
            rows.append(
                ["DNI", f"{45000000 + i}", "Quispe", "Mamani", f"Persona {i}", "", f"p{i}@correo.pe", "987654321"]
            )
    return rows


def dataset(headers, rows):
    data = tablib.Dataset(headers=headers)
    for row in rows:
        data.append(row)
    return data


def xlsx_file(headers, rows, name="clientes.xlsx"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def csv_file(headers, rows, name="cuentas.csv"):
    return SimpleUploadedFile(name, dataset(headers, rows).export("csv").encode("utf-8"))


# --- Client import, straight through the resource -----------------------------------------------
def test_one_bad_ruc_among_ten_rows_writes_nothing_and_names_the_row(master):
    result = ClientResource(user=master).import_data(dataset(CLIENT_HEADERS, client_rows(10, bad_row=5)))
    assert Client.objects.count() == 0
    assert not AuditEntry.objects.filter(action=ClientAction.IMPORTED).exists()
    assert [row.number for row in result.invalid_rows] == [6]  # 6th data row = row 7 of the sheet
    assert result.invalid_rows[0].error_dict == {"Número Documento": ["El dígito verificador del RUC no es válido."]}


def test_every_bad_row_is_listed(master):
    rows = client_rows(4)
    rows[0][6] = "no-es-correo"
    rows[2][1] = "123"
    rows[3][5] = ""  # RUC without razón social
    result = ClientResource(user=master).import_data(dataset(CLIENT_HEADERS, rows))
    assert [r.number for r in result.invalid_rows] == [1, 3, 4]
    assert "Email" in result.invalid_rows[0].error_dict
    assert result.invalid_rows[2].error_dict["Razón Social"] == ["La razón social es obligatoria para un RUC."]
    assert Client.objects.count() == 0


def test_duplicate_document_in_the_file_or_outside_the_portfolio(trader, other_trader):
    from django.contrib.auth.models import Permission

    trader.user_permissions.add(Permission.objects.get(codename="import_client"))
    existing = ClientFactory(owner=other_trader, document_number="45000000")  # not the importer's client
    rows = client_rows(4)
    rows.append(list(rows[2]))  # the same DNI twice in the file
    result = ClientResource(user=trader).import_data(dataset(CLIENT_HEADERS, rows))
    assert [r.number for r in result.invalid_rows] == [1, 5]
    assert result.invalid_rows[1].error_dict == {
        "Número Documento": ["Este documento ya está en una fila anterior del archivo."]
    }
    assert Client.objects.count() == 1 and Client.objects.get() == existing


def test_good_file_imports_inactive_clients_owned_by_the_importer_or_the_named_executive(
    master, trader, django_capture_on_commit_callbacks
):
    from django.core import mail

    headers = [*CLIENT_HEADERS, "Ejecutivo"]
    rows = [row + [trader.username if i == 0 else ""] for i, row in enumerate(client_rows(4))]
    with django_capture_on_commit_callbacks(execute=True):
        result = ClientResource(user=master).import_data(dataset(headers, rows))
    assert mail.outbox == []  # imported clients are existing customers: no registration e-mail
    assert not result.has_errors() and not result.has_validation_errors()
    assert Client.objects.count() == 4
    assert set(Client.objects.values_list("status", flat=True)) == {ClientStatus.INACTIVE}
    assert Client.objects.get(document_number="45000000").owner == trader
    assert Client.objects.filter(owner=master).count() == 3
    assert set(Client.objects.values_list("created_by", flat=True)) == {master.pk}
    assert AuditEntry.objects.filter(action=ClientAction.IMPORTED).count() == 4


def test_executive_column_refuses_unknown_users_and_non_holders(master, operador):
    headers = [*CLIENT_HEADERS, "Ejecutivo"]
    rows = [client_rows(2)[0] + ["nadie"], client_rows(2)[1] + [operador.username]]
    result = ClientResource(user=master).import_data(dataset(headers, rows))
    assert result.invalid_rows[0].error_dict["Ejecutivo"] == ["No existe el usuario «nadie»."]
    assert "no puede tener cartera" in str(result.invalid_rows[1].error_dict)
    assert Client.objects.count() == 0


def test_headers_are_matched_without_case_or_accents_and_numeric_dni_gets_its_zeros(master):
    headers = ["tipo documento", "NUMERO DOCUMENTO", "apellido paterno", "Apellido materno", "NOMBRES", "correo"]
    result = ClientResource(user=master).import_data(
        dataset(headers, [["dni", 1234567, "quispe", "mamani", "rosa", "Rosa@Correo.pe"]])
    )
    assert not result.has_validation_errors(), result.invalid_rows[0].error_dict
    client = Client.objects.get()
    assert (client.document_number, client.apellido_paterno, client.email) == ("01234567", "QUISPE", "rosa@correo.pe")


def test_missing_required_column_is_a_clear_error(master):
    result = ClientResource(user=master).import_data(dataset(["Tipo Documento", "Nombres"], [["DNI", "X"]]))
    assert result.has_errors()
    assert result.base_errors[0].error.messages == ["Faltan columnas en el archivo: Número Documento."]
    assert Client.objects.count() == 0


# --- Accounts in the client's row ----------------------------------------------------------------
ACCOUNT_HEADERS = [*CLIENT_HEADERS, "Cuenta Bancaria 1", "Cuenta Bancaria 2"]
PEN_CELL = "BCP | Ahorro | PEN | 191-12345678-0-12 |  | Lima"
USD_CELL = "Interbank | Corriente | USD | 2003001234567 |  | Provincia"


def test_accounts_in_the_row_are_registered_with_the_new_client_all_or_nothing(master):
    rows = [
        client_rows(1)[0] + [PEN_CELL, USD_CELL],
        client_rows(2)[1] + ["Banco Imaginario | Ahorro | PEN | 1911", ""],
    ]
    rows.append(client_rows(3)[2] + ["BBVA | Corriente | USD | 001101230100012345 | | Lima", PEN_CELL])
    result = ClientResource(user=master).import_data(dataset(ACCOUNT_HEADERS, rows))
    assert [r.number for r in result.invalid_rows] == [2, 3]
    assert "Banco Imaginario" in result.invalid_rows[0].error_dict["Cuenta Bancaria 1"][0]
    assert "CCI" in str(result.invalid_rows[1].error_dict)  # BBVA needs its CCI
    assert Client.objects.count() == 0 and BankAccount.objects.count() == 0

    result = ClientResource(user=master).import_data(dataset(ACCOUNT_HEADERS, rows[:1]))
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    client = Client.objects.get()
    assert client.accounts.get(currency=Currency.PEN).number == "19112345678012"
    assert client.accounts.get(currency=Currency.USD).location == "province"


def test_a_cell_that_is_not_an_account_says_how_to_write_it(master):
    rows = [client_rows(1)[0] + ["BCP PEN 19112345678012", ""]]
    result = ClientResource(user=master).import_data(dataset(ACCOUNT_HEADERS, rows))
    assert result.invalid_rows[0].error_dict == {
        "Cuenta Bancaria 1": ["Escriba la cuenta así: banco | tipo | moneda | número | CCI | ubicación."]
    }


def test_a_masked_account_matches_the_clients_account_or_is_refused(master, trader):
    client = active_client(owner=trader)
    account = client.accounts.get(currency=Currency.PEN)
    row = [
        client.document_type,
        client.document_number,
        client.apellido_paterno,
        client.apellido_materno,
        client.nombres,
        "",
        client.email,
        client.phones,
    ]
    known = f"{account.get_bank_display()} | {account.get_account_type_display()} | PEN | ****{account.number[-4:]}"
    result = ClientResource(user=master).import_data(dataset(ACCOUNT_HEADERS, [[*row, known, ""]]))
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert result.totals["skip"] == 1  # the masked cell is the account it already has: nothing to change
    result = ClientResource(user=master).import_data(
        dataset(ACCOUNT_HEADERS, [[*row, "BCP | Ahorro | PEN | ****9999", ""]])
    )
    assert result.invalid_rows[0].error_dict == {
        "Cuenta Bancaria 1": [
            "****9999 está enmascarado y no coincide con ninguna cuenta activa de este cliente: escriba el número "
            "completo."
        ]
    }


# --- Export → import round trip -----------------------------------------------------------------
def test_the_export_imports_back_unchanged_as_the_same_clients(master_client, master, trader):
    person = active_client(owner=trader, phones="987654321", cc_emails="a@b.pe; c@d.pe")
    company = CompanyFactory(owner=trader, legal_rep_name="ANA PÉREZ", is_pep=True, pep_position="Alcalde")
    exported = file_content(master_client.post(EXPORT, {"format": "0", "resource": "0"}))
    before = {c.pk: audit_snapshot(c) for c in Client.objects.all()}
    upload = SimpleUploadedFile("export.xlsx", exported)

    response = master_client.post(IMPORT, {"resource": "0", "format": "0", "import_file": upload})
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert result.totals["skip"] == 2 and result.totals["new"] == 0
    master_client.post(reverse("admin:clients_client_process_import"), response.context["confirm_form"].initial)
    assert {c.pk: audit_snapshot(c) for c in Client.objects.all()} == before
    assert not AuditEntry.objects.filter(action__in=[ClientAction.IMPORTED, ClientAction.CHANGED]).exists()

    # The same file with one e-mail and one new account typed in updates those clients, nothing else.
    book = openpyxl.load_workbook(io.BytesIO(exported))
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    for line in sheet.iter_rows(min_row=2):
        cells = dict(zip(headers, line, strict=False))
        if cells["Número Documento"].value == person.document_number:
            cells["Email"].value = "nuevo@correo.pe"
            cells["Cuenta Bancaria 3"].value = "Scotiabank | Ahorro | USD | 0001234567 | 00900000000123456789 | Lima"
    out = io.BytesIO()
    book.save(out)
    result = ClientResource(user=master).import_data(read_xlsx(out.getvalue()))
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert (result.totals["update"], result.totals["skip"]) == (1, 1)
    person.refresh_from_db()
    assert person.email == "nuevo@correo.pe" and person.accounts.filter(is_active=True).count() == 3
    assert audit_snapshot(Client.objects.get(pk=company.pk)) == before[company.pk]
    assert AuditEntry.objects.filter(action=ClientAction.CHANGED, object_id=str(person.pk)).count() == 1


def audit_snapshot(client):
    from accounts.audit import snapshot

    accounts = sorted(
        (a.bank, a.account_type, a.currency, a.number, a.cci, a.location)
        for a in client.accounts.filter(is_active=True)
    )
    return snapshot(client), accounts


def read_xlsx(content):
    from import_export.formats.base_formats import XLSX

    return XLSX().create_dataset(content)


def test_a_misspelt_column_is_refused_by_name_before_any_row(master):
    headers = ["Tipo Documento", "Número Documento", "Apelido Paterno", "Email"]
    result = ClientResource(user=master).import_data(dataset(headers, [["DNI", "4567", "X", "x"]]))
    assert [m for e in result.base_errors for m in e.error.messages] == [
        "Columnas desconocidas en el archivo: Apelido Paterno. Use los nombres de columna de la plantilla."
    ]
    assert not result.rows  # no row was read


def test_spanish_excel_csv_with_semicolons_and_cp1252_imports_like_xlsx(master_client):
    text = "Tipo Documento;Número Documento;Apellido Paterno;Apellido Materno;Nombres;Email\r\n"
    text += "DNI;45123456;PEÑA;NÚÑEZ;JOSÉ;jose@correo.pe\r\n"
    upload = SimpleUploadedFile("clientes.csv", text.encode("cp1252"))
    response = master_client.post(IMPORT, {"resource": "0", "format": "1", "import_file": upload})
    assert response.context["confirm_form"] is not None, [r.error_dict for r in response.context["result"].invalid_rows]
    master_client.post(reverse("admin:clients_client_process_import"), response.context["confirm_form"].initial)
    client = Client.objects.get()
    assert (client.apellido_paterno, client.apellido_materno, client.nombres) == ("PEÑA", "NÚÑEZ", "JOSÉ")


def test_the_template_has_the_import_columns_and_an_example_row_that_imports(master_client):
    response = master_client.get(reverse("admin:clients_client_import_template"))
    assert response.status_code == 200
    today = dateformat.format(timezone.localdate(), "d-m-Y")
    assert response["Content-Disposition"] == f'attachment; filename="QoriCash_Plantilla_de_clientes_{today}.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Tipo Documento", "Número Documento", "Apellido Paterno"]
    assert "ID" not in headers and "Estado" not in headers  # read-only columns are not in the template
    assert headers[-1] == "Cuenta Bancaria 6"
    upload = SimpleUploadedFile("plantilla.xlsx", response.content)
    response = master_client.post(IMPORT, {"resource": "0", "format": "0", "import_file": upload})
    assert response.context["confirm_form"] is not None, [r.error_dict for r in response.context["result"].invalid_rows]


def test_the_template_needs_the_import_permission(trader_client):
    assert trader_client.get(reverse("admin:clients_client_import_template")).status_code == 403


# --- Through the admin --------------------------------------------------------------------------
IMPORT = reverse("admin:clients_client_import")
EXPORT = reverse("admin:clients_client_export")


def test_admin_import_lists_the_bad_row_and_writes_nothing(master_client):
    page = master_client.get(IMPORT)
    assert page.status_code == 200
    response = master_client.post(
        IMPORT,
        {"resource": "0", "format": "0", "import_file": xlsx_file(CLIENT_HEADERS, client_rows(10, bad_row=5))},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Algunas filas tienen errores: no se guardó nada" in content
    assert '<td class="client-import-row">7</td>' in content  # 6th data row = row 7 of the sheet
    assert "El dígito verificador del RUC no es válido." in content
    assert "confirm" not in response.context or response.context.get("confirm_form") is None
    assert Client.objects.count() == 0


def test_admin_import_with_confirmation(master_client, master):
    rows = [row + ([PEN_CELL, USD_CELL] if i == 0 else ["", ""]) for i, row in enumerate(client_rows(4))]
    response = master_client.post(
        IMPORT, {"resource": "0", "format": "0", "import_file": xlsx_file(ACCOUNT_HEADERS, rows)}
    )
    confirm = response.context["confirm_form"]
    assert Client.objects.count() == 0  # the preview is a rolled-back dry run
    response = master_client.post(reverse("admin:clients_client_process_import"), confirm.initial, follow=True)
    assert Client.objects.count() == 4
    assert [str(m) for m in response.context["messages"]] == [
        "Importación terminada: 4 clientes nuevos, 0 actualizados, 0 sin cambios."
    ]
    assert Client.objects.get(document_number="45000000").accounts.count() == 2


def test_only_import_permission_holders_import(trader_client, operador_client):
    assert trader_client.get(IMPORT).status_code == 403


def test_import_and_export_codenames_built_by_the_library(master):
    from django.conf import settings
    from django.contrib.auth import get_permission_codename

    opts = Client._meta
    assert get_permission_codename(settings.IMPORT_EXPORT_IMPORT_PERMISSION_CODE, opts) == "import_client"
    assert get_permission_codename(settings.IMPORT_EXPORT_EXPORT_PERMISSION_CODE, opts) == "export_client"
    assert master.has_perm("clients.import_client") and master.has_perm("clients.export_client")


# --- Export -------------------------------------------------------------------------------------
def file_content(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def export_sheet(response):
    book = openpyxl.load_workbook(io.BytesIO(file_content(response)))
    return book["Clientes"]


def test_export_columns_style_and_full_numbers_for_master(master_client, trader):
    client = active_client(owner=trader)
    response = master_client.post(EXPORT, {"format": "0", "resource": "0"})
    assert response.status_code == 200
    today = dateformat.format(timezone.localdate(), "d-m-Y")
    assert response["Content-Disposition"] == f'attachment; filename="QoriCash_Clientes_{today}.xlsx"'
    sheet = export_sheet(response)
    headers = [c.value for c in sheet[1]]
    assert headers == [
        "ID",
        "Tipo Documento",
        "Número Documento",
        "Nombre Completo",
        "Apellido Paterno",
        "Apellido Materno",
        "Nombres",
        "Nacionalidad",
        "Fecha de nacimiento",
        "Ocupación",
        "Razón Social",
        "Actividad económica",
        "Persona Contacto",
        "Representante Legal",
        "Tipo Documento Representante",
        "Número Documento Representante",
        "Email",
        "Emails Copia",
        "Teléfono",
        "Dirección",
        "Distrito",
        "Provincia",
        "Departamento",
        "PEP",
        "Cargo PEP",
        "Entidad PEP",
        "Ejecutivo",
        "Usuario Registro",
        "Fecha Registro",
        "Estado",
        "Total Operaciones",
        "Operaciones Completadas",
        *[f"Cuenta Bancaria {i}" for i in range(1, 7)],
    ]
    assert sheet["A1"].fill.fgColor.rgb.endswith("366092") and sheet["A1"].font.bold
    row = dict(zip(headers, [c.value for c in sheet[2]], strict=False))
    assert row["Número Documento"] == client.document_number and row["Estado"] == "Activo"
    assert row["Ejecutivo"] == trader.username
    numbers = {a.number for a in client.accounts.all()}
    assert {row[f"Cuenta Bancaria {i}"].split(" | ")[3] for i in (1, 2)} == numbers


def test_export_masks_accounts_without_view_full_accounts_and_keeps_the_portfolio(trader, other_trader, client):
    from django.contrib.auth.models import Permission

    trader.user_permissions.add(Permission.objects.get(codename="export_client"))
    mine = active_client(owner=trader)
    active_client(owner=other_trader)
    client.force_login(trader)
    response = client.post(EXPORT, {"format": "0", "resource": "0"})
    assert response.status_code == 200
    sheet = export_sheet(response)
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in rows] == [mine.document_number]
    for cell in rows[0][32:34]:
        assert cell.split(" | ")[3].startswith("****") and len(cell.split(" | ")[3]) == 8
    assert not any(a.number in str(rows[0]) for a in mine.accounts.all())


def test_export_refused_without_permission(trader_client):
    assert trader_client.get(EXPORT).status_code == 403


def test_export_resource_counts_in_one_query(django_assert_max_num_queries, master, trader):
    from operations.models import OperationStatus
    from operations.tests.factories import OperationFactory

    for _ in range(5):
        c = active_client(owner=trader)
        OperationFactory(client=c, status=OperationStatus.COMPLETED)
    # permissions (2), count, clients with their counts, active accounts: the same for 5 or 500 rows.
    with django_assert_max_num_queries(5):
        data = ClientResource(user=master).export(Client.objects.all())
    assert {row[30] for row in data} == {1} and {row[31] for row in data} == {1}


def test_streamed_export_has_the_cells_of_the_librarys_export(master, trader, other_trader):
    """The streamed rows are the resource's own export, column for column (counts, accounts, labels)."""
    from clients.exports import export_values
    from operations.models import OperationStatus
    from operations.tests.factories import OperationFactory

    person = active_client(owner=trader, phones="987654321", cc_emails="a@b.pe; c@d.pe", occupation="=1+1")
    CompanyFactory(owner=other_trader, legal_rep_name="ANA PÉREZ", is_pep=True, pep_position="Alcalde")
    ClientFactory(owner=trader, document_type="CE", document_number="001234567")
    OperationFactory(client=person, status=OperationStatus.COMPLETED)
    OperationFactory(client=person)
    for user in (master, trader):
        resource = ClientResource(user=user)
        queryset = Client.objects.visible_to(user).order_by("-created_at", "-id")
        library = ClientResource(user=user).export(queryset)
        headers, rows = export_values(resource, queryset)
        rows = list(rows)
        assert headers == library.headers
        assert rows == [list(row) for row in library]
        assert len(rows) == (3 if user == master else 2)
    by_document = {row[2]: row for row in rows}
    assert by_document[person.document_number][30:32] == [2, 1]  # numbers, not text


def test_a_column_added_to_the_resource_is_streamed_without_touching_the_export(master, trader):
    """The streamed export reads what the resource's columns name: one place adds a column."""
    from clients.exports import export_values
    from clients.resources import _column

    class Wider(ClientResource):
        updated = _column("Actualizado", "updated_at")

        class Meta(ClientResource.Meta):
            fields = (*ClientResource.Meta.fields, "updated")

    active_client(owner=trader)
    resource = Wider(user=master)
    headers, rows = export_values(resource, Client.objects.order_by("id"))
    library = Wider(user=master).export(Client.objects.order_by("id"))
    assert "Actualizado" in headers and headers == library.headers
    assert list(rows) == [list(row) for row in library]


def test_streamed_export_queries_do_not_grow_with_the_clients(
    django_assert_max_num_queries, master, trader, monkeypatch
):
    from clients import exports

    for _ in range(7):
        active_client(owner=trader)
    # clients (one cursor), then per batch of clients: counts, completed counts, accounts.
    resource = ClientResource(user=master)
    monkeypatch.setattr(exports, "BATCH", 3)
    with django_assert_max_num_queries(1 + 3 * 3):
        _headers, rows = exports.export_values(resource, Client.objects.order_by("id"))
        assert len(list(rows)) == 7


def test_export_writes_formula_like_text_as_text(master_client, trader):
    evil = '=HYPERLINK("http://evil.example","x")'
    company = CompanyFactory(
        owner=trader,
        razon_social=evil,
        contact_person="+1+cmd|' /C calc'!A0",
        address="=1+1",
        district="-2+3",
        email="@SUM(1)@evil.example",
        phones="\t=1",
    )
    response = master_client.post(EXPORT, {"format": "0", "resource": "0"})
    sheet = export_sheet(response)
    headers = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(headers, sheet[2], strict=False)}
    assert row["Número Documento"].value == company.document_number
    name = row["Nombre Completo"]
    # Text with the quote prefix: shown and read back as typed (upper case, as stored), never run.
    assert name.data_type == "s" and name.quotePrefix and name.value == evil.upper()
    for column in ("Persona Contacto", "Dirección", "Distrito", "Email", "Teléfono"):
        assert row[column].data_type == "s" and row[column].quotePrefix, column
    assert not any(cell.data_type == "f" for line in sheet.iter_rows() for cell in line)
    assert row["ID"].data_type == "n" and row["Total Operaciones"].value == 0  # numbers stay numbers


def test_each_export_leaves_one_audit_entry_with_rows_filters_and_search(master_client, master, trader):
    active_client(owner=trader, apellido_paterno="QUISPE")
    active_client(owner=trader, apellido_paterno="QUISPE")
    active_client(owner=trader, apellido_paterno="HUAMAN")
    ClientFactory(owner=trader, apellido_paterno="QUISPE")  # inactive: filtered out
    url = f"{EXPORT}?status__exact=active&q=quispe&o=2"
    assert master_client.get(url).status_code == 200  # the form alone exports nothing
    assert not AuditEntry.objects.filter(action=ClientAction.EXPORTED).exists()

    response = master_client.post(url, {"format": "0", "resource": "0"})
    assert response.status_code == 200
    assert len(list(export_sheet(response).iter_rows(min_row=2))) == 2
    entry = AuditEntry.objects.get(action=ClientAction.EXPORTED)
    assert entry.actor == master and entry.object_type == "clients.client"
    assert entry.object_repr == "Exportación de clientes"
    assert str(action_label(ClientAction.EXPORTED)) == "Clientes exportados"  # the audit list's action column
    assert str(action_label("client_export")) == "Clientes exportados"  # entries written before the rename
    assert entry.message == (
        "Filas: 2. Filtros: status__exact=active. Búsqueda: «quispe». Números de cuenta: completos."
    )

    master_client.post(EXPORT, {"format": "0", "resource": "0"})
    assert AuditEntry.objects.filter(action=ClientAction.EXPORTED).count() == 2
    last = AuditEntry.objects.filter(action=ClientAction.EXPORTED).latest("id")
    assert last.message == "Filas: 4. Filtros: ninguno. Búsqueda: ninguna. Números de cuenta: completos."


def test_a_traders_export_is_audited_as_masked(trader, client):
    from django.contrib.auth.models import Permission

    trader.user_permissions.add(Permission.objects.get(codename="export_client"))
    active_client(owner=trader)
    client.force_login(trader)
    client.post(EXPORT, {"format": "0", "resource": "0"})
    entry = AuditEntry.objects.get(action=ClientAction.EXPORTED)
    assert entry.actor == trader
    assert entry.message.endswith("Números de cuenta: enmascarados.") and entry.message.startswith("Filas: 1.")


# --- Unexpected failures during an import -------------------------------------------------------
def fail_on_the_third_row(monkeypatch):
    """The import service breaks (a bug, the database...) for the 3rd data row with internal English text."""
    from clients import services

    real = services.ClientImport.add
    calls = []

    def flaky(self, client, *args, **kwargs):
        calls.append(client.document_number)
        if len(calls) == 3:
            raise RuntimeError("internal boom: relation clients_secret does not exist")
        return real(self, client, *args, **kwargs)

    monkeypatch.setattr(services.ClientImport, "add", flaky)


def test_unexpected_row_failure_is_logged_and_shown_in_spanish_with_the_row(master, monkeypatch, caplog):
    fail_on_the_third_row(monkeypatch)
    with caplog.at_level("ERROR", logger="clients.resources"):
        result = ClientResource(user=master).import_data(dataset(CLIENT_HEADERS, client_rows(4)))
    assert not result.has_errors()  # no raw error row: an invalid row like any other
    assert [r.number for r in result.invalid_rows] == [3]
    assert result.invalid_rows[0].error_dict == {
        "__all__": [
            "La fila 4 del archivo no se pudo importar por un error inesperado. No se guardó nada. "
            "Si vuelve a ocurrir, avise al administrador."
        ]
    }
    assert Client.objects.count() == 0
    logged = [r for r in caplog.records if r.name == "clients.resources" and r.levelname == "ERROR"]
    assert len(logged) == 1 and "row 4 of a clients file" in logged[0].getMessage()
    assert isinstance(logged[0].exc_info[1], RuntimeError)  # the traceback is in the log, not on screen


def test_admin_import_shows_the_generic_message_with_a_reference_never_the_internal_text(
    master_client, monkeypatch, settings
):
    settings.TRUSTED_PROXY_COUNT = 1  # the reference shown is the proxy's request id
    fail_on_the_third_row(monkeypatch)
    response = master_client.post(
        IMPORT,
        {"resource": "0", "format": "0", "import_file": xlsx_file(CLIENT_HEADERS, client_rows(4))},
        HTTP_X_REQUEST_ID="1e7a0c42-5b3d-4c8e-9f21-6a4d8b2e0c17",
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert '<td class="client-import-row">4</td>' in content
    assert (
        "La fila 4 del archivo no se pudo importar por un error inesperado. No se guardó nada. "
        "Si vuelve a ocurrir, indique al administrador esta referencia: 1e7a0c42-5b3d-4c8e-9f21-6a4d8b2e0c17."
    ) in content
    assert "boom" not in content and "clients_secret" not in content and "RuntimeError" not in content
    assert Client.objects.count() == 0


def test_unexpected_file_level_failure_is_logged_and_generic(master, monkeypatch, caplog):
    def broken(self, dataset, **kwargs):
        raise KeyError("internal_header_map")

    monkeypatch.setattr(ClientResource, "before_import", broken)
    with caplog.at_level("ERROR", logger="clients.resources"):
        result = ClientResource(user=master).import_data(dataset(CLIENT_HEADERS, client_rows(1)))
    assert [m for e in result.base_errors for m in e.error.messages] == [
        "El archivo no se pudo importar por un error inesperado. No se guardó nada. "
        "Si vuelve a ocurrir, avise al administrador."
    ]
    assert any(isinstance(r.exc_info[1], KeyError) for r in caplog.records if r.name == "clients.resources")


def test_missing_columns_read_as_a_sentence_in_the_admin(master_client):
    response = master_client.post(
        IMPORT,
        {"resource": "0", "format": "0", "import_file": xlsx_file(["Tipo Documento", "Nombres"], [["DNI", "X"]])},
    )
    content = response.content.decode()
    assert "<li>Faltan columnas en el archivo: Número Documento.</li>" in content


# --- QA walk-through: a readable preview, Spanish pages, one message per problem ----------------
def preview(response):
    """The preview table as {header: [values…]}, the way the template renders it."""
    result = response.context["result"]
    assert response.context["confirm_form"] is not None, [r.error_dict for r in result.invalid_rows]
    rows = [row.diff for row in result.valid_rows()]
    return {header: [row[i]["value"] for row in rows] for i, header in enumerate(result.diff_headers)}


def test_preview_shows_accounts_and_choices_as_labels(master_client):
    rows = [row + ([PEN_CELL, USD_CELL] if i == 0 else ["", ""]) for i, row in enumerate(client_rows(2))]
    response = master_client.post(
        IMPORT, {"resource": "0", "format": "0", "import_file": xlsx_file(ACCOUNT_HEADERS, rows)}
    )
    table = preview(response)
    assert table["Tipo Documento"] == ["DNI", "RUC"]
    assert table["Cuenta Bancaria 1"] == ["BCP | Ahorro | PEN | 19112345678012 |  | Lima", ""]
    assert "Cliente nuevo" in response.content.decode() and "Actualización" not in response.content.decode()
    assert table["Cuenta Bancaria 2"][0] == "Interbank | Corriente | USD | 2003001234567 |  | Provincia"
    assert "Ocupación" not in table  # empty in every row: left out of the preview
    content = response.content.decode()
    for internal in ("savings", "checking", "province", "INTERBANK", "<ins"):
        assert internal not in content
    assert BankAccount.objects.count() == 0


def test_client_preview_shows_si_no_for_pep(master_client):
    headers = [*CLIENT_HEADERS, "PEP", "Cargo PEP", "Entidad PEP"]
    rows = [r + ["", "", ""] for r in client_rows(2)]
    rows[1][8:] = ["sí", "Alcalde", "Municipalidad de Lima"]
    response = master_client.post(IMPORT, {"resource": "0", "format": "0", "import_file": xlsx_file(headers, rows)})
    table = preview(response)
    assert table["PEP"] == ["No", "Sí"]
    assert table["Tipo Documento"] == ["DNI", "RUC"]
    assert "False" not in response.content.decode() and "True" not in response.content.decode()


def test_a_bad_account_number_is_said_under_its_column(master):
    rows = [client_rows(1)[0] + ["BCP | Ahorro | USD | 12ab", PEN_CELL]]
    result = ClientResource(user=master).import_data(dataset(ACCOUNT_HEADERS, rows))
    assert "El número de cuenta debe tener de 6 a 20 dígitos (se admiten guiones)." in str(
        result.invalid_rows[0].error_dict
    )


def test_a_corrupt_file_gets_a_plain_spanish_message(master_client):
    fake = SimpleUploadedFile("clientes.xlsx", b"PK\x03\x04 not really a zip" * 20)
    response = master_client.post(IMPORT, {"resource": "0", "format": "0", "import_file": fake})
    assert response.status_code == 200
    assert response.context["form"].errors["import_file"] == ["El archivo no es un Excel (xlsx) o CSV válido."]
    content = response.content.decode()
    assert "BadZipFile" not in content and "Se encontró" not in content
    assert Client.objects.count() == 0


def test_a_file_with_only_the_header_is_explained_in_spanish(master_client):
    response = master_client.post(
        IMPORT, {"resource": "0", "format": "0", "import_file": xlsx_file(CLIENT_HEADERS, [])}
    )
    assert response.context["form"].errors["import_file"] == [
        "El archivo no tiene filas para importar: revise que la primera fila tenga los nombres de las columnas "
        "y que debajo haya datos."
    ]


def test_import_and_export_pages_have_no_english_or_technical_labels(master_client):
    for url, expected in ((IMPORT, "Descargar plantilla"), (EXPORT, "Descargar el Excel")):
        content = master_client.get(url).content.decode()
        assert expected in content
        for text in ("This exporter", "This importer", "importará los siguientes campos", "Recurso", "Fichero"):
            assert text not in content, (url, text)
    content = master_client.get(EXPORT).content.decode()
    assert "Columnas:" in content and "Cuenta Bancaria 6" in content
    assert "número completo" in content  # the Master exports full account numbers and is told so


def test_the_import_history_entry_is_in_spanish(master_client):
    from django.contrib.admin.models import LogEntry

    response = master_client.post(
        IMPORT, {"resource": "0", "format": "0", "import_file": xlsx_file(CLIENT_HEADERS, client_rows(2))}
    )
    master_client.post(reverse("admin:clients_client_process_import"), response.context["confirm_form"].initial)
    assert Client.objects.count() == 2
    assert {e.get_change_message() for e in LogEntry.objects.all()} == {"Importado desde un archivo."}


def test_a_bad_document_type_is_one_message_not_also_unknown_type_under_the_number(master):
    rows = [
        ["XYZ", "41234567", "Quispe", "Mamani", "Ana", "", "ana@x.pe", "987654321"],
        ["DNI", "", "Quispe", "Mamani", "Ana", "", "ana2@x.pe", "987654321"],
    ]
    result = ClientResource(user=master).import_data(dataset(CLIENT_HEADERS, rows))
    assert result.invalid_rows[0].error_dict == {"Tipo Documento": ["«XYZ» no es un valor válido para Tipo Documento."]}
    assert result.invalid_rows[1].error_dict == {"Número Documento": ["Este campo no puede estar vacío."]}


# --- Large files: queries that do not grow with the rows, all-or-nothing, the audit chain --------
MANY_HEADERS = [*ACCOUNT_HEADERS, "Ejecutivo"]


def many_rows(n, start, trader):
    """n valid new clients (two persons for each company), with both accounts, a quarter owned by `trader`."""
    rows = []
    for i in range(start, start + n):
        if i % 3 == 2:
            row = ["RUC", valid_ruc(i), "", "", "", f"Empresa {i} S.A.C.", f"e{i}@empresa.pe", "014445555"]
        else:
            row = ["DNI", f"{40000000 + i}", "Quispe", "Mamani", f"Persona {i}", "", f"p{i}@correo.pe", "987654321"]
        rows.append([*row, PEN_CELL, USD_CELL, trader.username if i % 4 == 0 else ""])
    return rows


def admin_import(browser, rows):
    """Preview and confirm a file through the admin; the queries of each step."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as preview_queries:
        response = browser.post(IMPORT, {"resource": "0", "format": "0", "import_file": xlsx_file(MANY_HEADERS, rows)})
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    with CaptureQueriesContext(connection) as confirm_queries:
        response = browser.post(
            reverse("admin:clients_client_process_import"), response.context["confirm_form"].initial
        )
    assert response.status_code == 302 and response["Location"].endswith("/clients/client/")
    return len(preview_queries), len(confirm_queries)


@pytest.mark.postgres
def test_the_admin_imports_50_or_200_rows_with_the_same_queries(master_client, trader, django_assert_max_num_queries):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's limit of bound parameters splits every bulk insert into batches of a few rows")
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_for_model(Client)  # cached for the process: the first import would read it once more
    preview_50, confirm_50 = admin_import(master_client, many_rows(50, 0, trader))
    assert Client.objects.count() == 50 and BankAccount.objects.count() == 100
    with django_assert_max_num_queries(preview_50 + confirm_50) as captured:
        preview_200, confirm_200 = admin_import(master_client, many_rows(200, 1000, trader))
    assert (preview_200, confirm_200) == (preview_50, confirm_50), captured
    assert Client.objects.count() == 250 and BankAccount.objects.count() == 500
    assert Client.objects.filter(owner=trader).count() == 13 + 50
    assert AuditEntry.objects.filter(action=ClientAction.IMPORTED).count() == 250


def test_bad_rows_among_many_save_nothing_and_are_all_listed(master, trader):
    # Bad rows after the library's first bulk batch (1,000 rows): that batch is written, then rolled back.
    rows = many_rows(1050, 0, trader)
    rows[1003][1] = "123"
    rows[1048][6] = "no-es-correo"
    audit_before = AuditEntry.objects.count()
    result = ClientResource(user=master).import_data(dataset(MANY_HEADERS, rows))
    assert [r.number for r in result.invalid_rows] == [1004, 1049]
    assert result.invalid_rows[0].error_dict == {"Número Documento": ["El DNI debe tener exactamente 8 dígitos."]}
    assert list(result.invalid_rows[1].error_dict) == ["Email"]
    assert Client.objects.count() == 0 and BankAccount.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_an_imported_file_is_audited_client_by_client_and_the_chain_verifies(master, trader):
    from accounts.auditchain import verify_chain

    rows = many_rows(6, 0, trader)
    result = ClientResource(user=master).import_data(dataset(MANY_HEADERS, rows), dry_run=True)
    assert result.totals["new"] == 6 and Client.objects.count() == 0  # the preview writes nothing
    before = AuditEntry.objects.count()
    result = ClientResource(user=master).import_data(dataset(MANY_HEADERS, rows))
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    entries = list(AuditEntry.objects.order_by("id")[before:])
    clients = list(Client.objects.order_by("id"))
    expected = []
    for client in clients:
        expected.append((ClientAction.IMPORTED, "clients.client", str(client.pk)))
        expected += [
            (ClientAction.ACCOUNT_ADDED, "clients.bankaccount", str(a.pk)) for a in client.accounts.order_by("id")
        ]
    assert [(e.action, e.object_type, e.object_id) for e in entries] == expected
    assert entries[0].changes["document_number"] == [None, clients[0].document_number]
    assert entries[1].changes["number"] == [None, "****8012"]  # account numbers masked, as one by one
    assert {e.actor_id for e in entries} == {master.pk}
    assert verify_chain().ok


def test_the_preview_of_a_long_file_shows_the_totals_and_its_first_rows(master_client, trader, monkeypatch):
    from clients import admin as clients_admin
    from clients import resources

    monkeypatch.setattr(resources, "PREVIEW_ROWS", 2)
    monkeypatch.setattr(clients_admin, "PREVIEW_ROWS", 2)
    response = master_client.post(
        IMPORT, {"resource": "0", "format": "0", "import_file": xlsx_file(MANY_HEADERS, many_rows(3, 0, trader))}
    )
    content = response.content.decode()
    assert "El archivo tiene 3 filas. Clientes nuevos: 3; por actualizar: 0; sin cambios: 0." in content
    assert "Se revisaron todas las filas; abajo se muestran las primeras 2." in content
    assert content.count('<td class="client-import-row">') == 2
    assert "PERSONA 1" in content and "EMPRESA 2" not in content
    assert response.context["confirm_form"] is not None


def test_reimporting_the_export_of_50_or_200_clients_takes_the_same_queries(master, trader):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clients.exports import write_clients_xlsx

    def round_trip():
        out = io.BytesIO()
        write_clients_xlsx(ClientResource(user=master), Client.objects.all(), out)
        with CaptureQueriesContext(connection) as queries:
            result = ClientResource(user=master).import_data(read_xlsx(out.getvalue()))
        assert result.totals["skip"] == Client.objects.count() and not result.has_validation_errors()
        return len(queries)

    ClientResource(user=master).import_data(dataset(MANY_HEADERS, many_rows(50, 0, trader)))
    fifty = round_trip()
    ClientResource(user=master).import_data(dataset(MANY_HEADERS, many_rows(150, 1000, trader)))
    assert Client.objects.count() == 200
    assert round_trip() == fifty
