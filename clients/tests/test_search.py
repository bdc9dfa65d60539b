"""Client search ignores accents and case (SQLite and PostgreSQL alike) and keeps the document prefix rule."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from clients.models import Client, search_key
from clients.tests.factories import ClientFactory, CompanyFactory, active_client

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:clients_client_changelist")
AUTOCOMPLETE = reverse("admin:autocomplete")


def found(browser, term):
    response = browser.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def autocomplete(browser, term):
    response = browser.get(
        AUTOCOMPLETE, {"app_label": "operations", "model_name": "operation", "field_name": "client", "term": term}
    )
    assert response.status_code == 200
    return [int(r["id"]) for r in response.json()["results"]]


def test_search_key_is_upper_case_without_accents():
    assert search_key("  Castro  Núñez\tÉliana ") == "CASTRO NUNEZ ELIANA"
    assert search_key("Çüë ñ") == "CUE N"
    assert search_key(None) == ""


def test_search_text_holds_document_names_business_name_and_email(trader):
    person = ClientFactory(
        owner=trader,
        document_number="41353785",
        apellido_paterno="Castro",
        apellido_materno="Núñez",
        nombres="Eliana",
        email="Eliana.Castro@Correo.pe",
    )
    company = CompanyFactory(owner=trader, razon_social="Café Orgánico Selva S.A.C.", email="ventas@cafe.pe")
    assert person.search_text == "41353785 CASTRO NUNEZ ELIANA ELIANA.CASTRO@CORREO.PE"
    assert company.search_text == f"{company.document_number} CAFE ORGANICO SELVA S.A.C. VENTAS@CAFE.PE"


def test_save_with_update_fields_keeps_search_text_current(trader):
    client = ClientFactory(owner=trader, apellido_paterno="ROJAS")
    client.apellido_paterno = "Peña"
    client.save(update_fields=["apellido_paterno"])
    assert Client.objects.get(pk=client.pk).search_text.split()[1] == "PENA"
    client.status = "active"
    client.save(update_fields=["status"])  # no search field touched: still saved, nothing else written
    assert Client.objects.get(pk=client.pk).search_text.split()[1] == "PENA"


def test_changelist_search_ignores_accents_and_case(master_client, trader):
    eliana = ClientFactory(
        owner=trader,
        document_number="41353785",
        apellido_paterno="CASTRO",
        apellido_materno="NÚÑEZ",
        nombres="ELIANA",
        email="eliana.castro15@correo.pe",
    )
    cafe = CompanyFactory(owner=trader, razon_social="CAFÉ ORGÁNICO SELVA CENTRAL S.A.C.")
    ClientFactory(owner=trader, apellido_paterno="NUÑO", apellido_materno="DÍAZ", nombres="PEDRO")
    assert found(master_client, "nunez") == [eliana]
    assert found(master_client, "NÚÑEZ") == [eliana]
    assert found(master_client, "Nuñez") == [eliana]
    assert found(master_client, "castro eliana") == [eliana]  # every word, in any order
    assert found(master_client, '"castro nunez"') == [eliana]  # a quoted phrase stays together
    assert found(master_client, "cafe organico") == [cafe]
    assert found(master_client, "Castro15@") == [eliana]
    assert found(master_client, "castro pedro") == []


def test_document_number_is_still_searched_from_its_beginning(master_client, trader):
    a = ClientFactory(owner=trader, document_number="41230000", apellido_paterno="HUAMAN", email="rosa@x.pe")
    b = ClientFactory(owner=trader, document_number="99412300", apellido_paterno="QUISPE", email="juan@y.pe")
    assert found(master_client, "4123") == [a]
    assert found(master_client, "9941 quispe") == [b]
    assert found(master_client, "2300") == []  # inside a document number: no match, as before


def test_search_stays_within_the_portfolio(trader_client, trader, other_trader):
    mine = ClientFactory(owner=trader, apellido_materno="NÚÑEZ")
    ClientFactory(owner=other_trader, apellido_materno="NÚÑEZ")
    assert found(trader_client, "nunez") == [mine]


def test_operation_client_autocomplete_ignores_accents(trader_client, trader, other_trader):
    eliana = active_client(owner=trader, apellido_paterno="CASTRO", apellido_materno="NÚÑEZ", nombres="ELIANA")
    ClientFactory(owner=trader, apellido_materno="NÚÑEZ")  # Inactivo: cannot trade, not offered
    active_client(owner=other_trader, apellido_materno="NÚÑEZ")  # another portfolio
    assert autocomplete(trader_client, "nunez") == [eliana.pk]
    assert autocomplete(trader_client, "NUÑEZ eli") == [eliana.pk]
    assert autocomplete(trader_client, eliana.document_number[:5]) == [eliana.pk]


def test_search_query_count_does_not_depend_on_the_term(master_client, trader, django_assert_max_num_queries):
    for _ in range(5):
        ClientFactory(owner=trader, apellido_materno="NÚÑEZ")
    with django_assert_max_num_queries(12):
        assert len(found(master_client, "nunez")) == 5


def test_the_migration_fills_search_text_for_existing_clients(trader):
    migration = importlib.import_module("clients.migrations.0003_client_search_text")
    client = ClientFactory(owner=trader, document_number="41353785", apellido_materno="Núñez", nombres="Eliana")
    CompanyFactory(owner=trader, razon_social="Café Orgánico S.A.C.")
    expected = {c.pk: c.build_search_text() for c in Client.objects.all()}
    Client.objects.update(search_text="")
    migration.fill_search_text(apps, None)
    assert {c.pk: c.search_text for c in Client.objects.all()} == expected
    assert "NUNEZ ELIANA" in Client.objects.get(pk=client.pk).search_text
