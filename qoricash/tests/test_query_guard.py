"""Query strings that used to be server errors: each is now a bad filter (Django's redirect to `?e=1`),
the Spanish 400 page, or an ordinary page. tests/test_query_string_probe.py sends a whole corpus."""

import pytest
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters

from accounts.models import AuditEntry
from operations.models import Operation
from operations.tests.factories import OperationFactory
from qoricash.paginator import EstimatedCountPaginator
from qoricash.query_guard import QueryStringGuardMixin, check_date_hierarchy

AUDIT = "/admin/accounts/auditentry/"
OPERATIONS = "/admin/operations/operation/"
CLIENTS = "/admin/clients/client/"


def _bad_filter(response, url):
    return response.status_code == 302 and response["Location"] == f"{url}?e=1"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "at__year=99999999999999999999",  # OverflowError inside Django's date hierarchy
        "at__year=9999&at__month=12",  # the end of December 9999 overflows
        "at__year=9999&at__month=12&at__day=31",
        "at__year=0",
        "at__year=2026&at__month=2&at__day=30",
        "at__year=²",
    ],
)
def test_a_date_hierarchy_beyond_the_calendar_is_a_bad_filter(master_client, query):
    assert _bad_filter(master_client.get(f"{AUDIT}?{query}"), AUDIT)


@pytest.mark.django_db
def test_a_real_date_hierarchy_still_filters(master_client):
    response = master_client.get(f"{AUDIT}?at__year=9999&at__month=11&at__day=30")
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        f"{OPERATIONS}?created_at__year=0",  # ValueError computing the year's bounds
        f"{OPERATIONS}?created_at__year=99999999999999999999",
        f"{CLIENTS}?created_at__year=-1",
        f"{OPERATIONS}?status__regex=(",  # PostgreSQL refuses the pattern
        f"{OPERATIONS}?code__iregex=%5B",
        f"{OPERATIONS}?id__range=12",  # a string of n characters for BETWEEN %s AND %s
        f"{AUDIT}?ip__in=1%2Cx",  # not addresses: refused by the database adapter
        f"{AUDIT}?ip=abc",
        f"{CLIENTS}?id__in=99999999999999999999",  # beyond 64 bits: SQLite's driver refuses it
    ],
)
def test_values_that_fail_in_the_database_are_bad_filters(master_client, url):
    from django.db import connection

    response = master_client.get(url)
    if "ip" in url and connection.vendor != "postgresql":
        # SQLite stores addresses as text: nothing refuses the value, it just matches nothing.
        assert response.status_code == 200
        return
    assert _bad_filter(response, url.split("?")[0])


@pytest.mark.django_db
def test_a_filter_nothing_can_match_is_an_empty_list(master_client):
    OperationFactory()
    # Beyond a bigint: Django runs no query, and the estimated paginator must not either.
    response = master_client.get(f"{OPERATIONS}?created_at__day=99999999999999999999")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


@pytest.mark.django_db
def test_the_estimated_paginator_counts_an_impossible_filter_as_zero():
    OperationFactory()
    queryset = Operation.objects.filter(id__gt=2**70)
    assert EstimatedCountPaginator(queryset, 50).count == 0


@pytest.mark.django_db
def test_a_bad_filter_on_the_clients_export_is_the_spanish_400(master_client):
    response = master_client.get("/admin/clients/client/export/?date__year=2026")
    assert response.status_code == 400
    assert "Solicitud incorrecta" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["junk", "2026-13-01", "99999999999999999999", "", "%ff"])
def test_an_add_page_ignores_a_date_it_cannot_read(master_client, value):
    response = master_client.get(f"/admin/operations/exchangerate/add/?effective_at={value}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_an_add_page_still_takes_a_readable_date(master_client):
    response = master_client.get("/admin/operations/exchangerate/add/?effective_at=2026-12-24 10:30")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="24/12/2026"' in html or 'value="2026-12-24"' in html
    assert 'value="10:30:00"' in html or 'value="10:30"' in html


def test_every_registered_admin_is_guarded():
    unguarded = [m._meta.label for m, a in admin.site._registry.items() if not isinstance(a, QueryStringGuardMixin)]
    assert unguarded == []


def test_the_bounds_check_mirrors_the_date_hierarchy():
    check_date_hierarchy({"at__year": ["2026"], "at__month": ["12"], "at__day": ["31"]}, "at")
    with pytest.raises(IncorrectLookupParameters):
        check_date_hierarchy({"at__year": ["2026"], "at__month": [""]}, "at")
    assert AuditEntry._meta.get_field("at")  # the field the audit trail's hierarchy uses


@pytest.mark.django_db
def test_only_a_list_with_filters_or_a_search_is_compiled_beforehand(master_client, monkeypatch):
    # Nothing typed can fail in a list without them: its query is compiled once, when it runs.
    from qoricash import query_guard

    checked = []
    monkeypatch.setattr(query_guard, "check_compiles", checked.append)
    for url in (OPERATIONS, f"{OPERATIONS}?o=2&p=1", CLIENTS):
        assert master_client.get(url).status_code == 200
    assert checked == []
    for url in (f"{OPERATIONS}?status__exact=completed", f"{OPERATIONS}?q=EXP", f"{AUDIT}?at__year=2026"):
        assert master_client.get(url).status_code == 200
    assert len(checked) == 3


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_estimate_explains_the_rows_ids_with_the_lists_filters():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qoricash.paginator import planner_estimate

    if connection.vendor != "postgresql":
        pytest.skip("the planner's estimate is PostgreSQL's")
    for _ in range(3):
        OperationFactory()
    queryset = (
        Operation.objects.filter(status="pending", client__apellido_paterno__gt="")
        .select_related("client", "trader")
        .queue_first()
    )
    with CaptureQueriesContext(connection) as ctx:
        estimate = planner_estimate(queryset)
    [explain] = [q["sql"] for q in ctx.captured_queries]
    assert explain.startswith('EXPLAIN (FORMAT JSON) SELECT "operations_operation"."id" AS "pk" FROM')
    assert '"clients_client"."apellido_paterno" >' in explain and "ORDER BY" not in explain
    with connection.cursor() as cursor:  # what the whole rows would be estimated at
        sql, params = queryset.order_by().query.sql_with_params()
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        assert estimate == cursor.fetchone()[0][0]["Plan"]["Plan Rows"]
