"""The audit trail's list costs the same on a few entries and on millions: its sidebar comes from the
code's registries and the users table, its date links from the calendar, its page count from the
planner; nothing reads the trail's distinct values."""

from datetime import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import audit
from accounts.audit_actions import AccountAction
from accounts.models import AuditEntry, User
from accounts.tests.factories import UserFactory
from clients.audit_actions import ClientAction
from operations.models import AuditAction, TreasuryAction
from qoricash.paginator import EstimatedCountPaginator

pytestmark = pytest.mark.django_db

LIST = "/admin/accounts/auditentry/"
ACTIONS = [AccountAction.LOGIN, AccountAction.USER_CHANGED, ClientAction.CHANGED, AuditAction.COMPLETED]
TYPES = ["accounts.user", "clients.client", "operations.operation", "reports.report"]


def _trail(n, actors, years):
    """n entries of several actions, types and actors, spread over `years`."""
    entries = []
    for i in range(n):
        entry = audit.entry(
            ACTIONS[i % len(ACTIONS)],
            actor=actors[i % len(actors)],
            object_type=TYPES[i % len(TYPES)],
            object_repr=f"objeto {i}",
        )
        entry.at = timezone.make_aware(datetime(years[i % len(years)], 1 + i % 12, 1 + i % 28, 10))
        entries.append(entry)
    audit.record_many(entries)


def _get(client, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, params or {})
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


def _distinct_over_the_trail(queries):
    return [sql for sql in queries if "DISTINCT" in sql.upper() and "accounts_auditentry" in sql]


def _spec(response, parameter):
    return next(s for s in response.context["cl"].filter_specs if parameter in s.expected_parameters())


def test_the_sidebar_offers_every_registered_action_type_and_user_without_reading_the_trail(master_client, master):
    gone = UserFactory(username="z_gone", first_name="Zoila", last_name="Ayala", is_active=False)
    audit.record(AccountAction.LOGIN, master, actor=master)
    response, queries = _get(master_client)
    assert _distinct_over_the_trail(queries) == []

    actions = dict(_spec(response, "action").lookup_choices)
    # Never recorded, offered all the same, under its Spanish label; legacy codes are not offered.
    assert str(actions[TreasuryAction.ENTRY_VOIDED.value]) == "Movimiento de tesorería anulado"
    assert "file_download" not in actions and AccountAction.FILE_DOWNLOADED.value in actions

    types = dict(_spec(response, "object_type").lookup_choices)
    assert {"operations.treasuryentry", "clients.clientdocument", "auth.group", "reports.report"} <= set(types)
    assert types["operations.treasuryentry"] == audit.type_label("operations.treasuryentry")

    actors = _spec(response, "actor__id__exact").lookup_choices
    by_name = User.objects.order_by("first_name", "last_name", "username")
    assert actors == [(u.pk, str(u)) for u in by_name]
    assert (gone.pk, "Zoila Ayala (z_gone)") in actors  # inactive and without entries


def test_the_filters_still_filter(master_client, master, trader):
    gone = UserFactory(username="z_gone", is_active=False)
    old = AuditEntry.objects.create(action="file_download", actor=gone, object_type="clients.clientdocument")
    new = audit.record(AccountAction.FILE_DOWNLOADED, None, actor=trader, object_type="clients.clientdocument")
    system = audit.record(AccountAction.LOGIN_FAILED, None, actor=None, object_type="accounts.user")

    def listed(**params):
        return set(_get(master_client, params)[0].context["cl"].result_list)

    assert listed(action=AccountAction.FILE_DOWNLOADED) == {old, new}
    assert listed(action="file_download") == {old, new}  # a link saved with the old code
    assert listed(object_type="clients.clientdocument") == {old, new}
    assert listed(actor__id__exact=gone.pk) == {old}
    assert system in listed(actor__isnull="True") and new not in listed(actor__isnull="True")


def test_the_date_links_are_the_calendar_between_the_first_and_the_last_entry(master_client, master):
    # Entries in March 2019 and now (the fixtures' own): every year between is offered, with or
    # without entries, read from the trail's first and last entry only.
    first = audit.entry(AccountAction.LOGIN, master, actor=master)
    first.at = timezone.make_aware(datetime(2019, 3, 5, 10))
    audit.record_many([first])
    this_year = timezone.localdate().year

    def links(**params):
        response, queries = _get(master_client, params)
        assert _distinct_over_the_trail(queries) == []
        hierarchy = response.content.decode().split('<nav class="toplinks">')[1].split("</nav>")[0]
        return hierarchy

    years = links()
    assert all(f'at__year={y}"' in years for y in range(2019, this_year + 1))
    assert "at__year=2018" not in years
    months = links(at__year=2019)
    assert "Todas las fechas" in months and "at__month=2&" not in months
    assert "Marzo de 2019" in months and "Diciembre de 2019" in months
    days = links(at__year=2019, at__month=3)
    assert ">4 de marzo<" not in days and ">5 de marzo<" in days and ">31 de marzo<" in days
    assert listed_at(master_client, at__year=2019, at__month=3, at__day=5) == [first]


def listed_at(client, **params):
    return list(_get(client, params)[0].context["cl"].result_list)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"action": ClientAction.CHANGED.value},
        {"object_type": "operations.operation"},
        {"actor__id__exact": "ACTOR"},
        {"at__year": "2024"},
        {"at__year": "2024", "at__month": "3"},
        {"q": "objeto 7"},
    ],
    ids=["list", "action", "type", "actor", "year", "month", "search"],
)
def test_the_list_runs_the_same_queries_on_few_and_on_many_entries(master_client, master, params):
    actors = [master, *(UserFactory(username=f"u{i}", first_name=f"Nombre {i}") for i in range(6))]
    params = {k: (actors[1].pk if v == "ACTOR" else v) for k, v in params.items()}
    _trail(8, actors, [2024])
    few = len(_get(master_client, params)[1])
    _trail(400, actors, [2022, 2023, 2024, 2025])
    response, queries = _get(master_client, params)
    assert len(queries) == few
    assert _distinct_over_the_trail(queries) == []
    assert isinstance(response.context["cl"].paginator, EstimatedCountPaginator)


def test_show_counts_is_not_offered_and_counts_nothing(master_client, master):
    audit.record(AccountAction.LOGIN, master, actor=master)
    response, plain = _get(master_client)
    assert "Mostrar recuentos" not in response.content.decode()
    _response, queries = _get(master_client, {"_facets": "True"})
    assert len(queries) == len(plain)


def test_recording_on_an_unregistered_kind_of_object_warns():
    with pytest.warns(audit.UnregisteredAuditType):
        audit.record(AccountAction.LOGIN, None, object_type="made.up")


def _entry(when=None, **fields):
    entry = AuditEntry(action=AccountAction.LOGIN, **fields)
    if when is not None:
        entry.at = when
    audit.record_many([entry])
    return entry


def _found(client, term):
    return set(_get(client, {"q": term})[0].context["cl"].result_list)


def test_identifiers_are_found_whole(master_client, master):
    op = _entry(object_type="operations.operation", object_id="123", object_repr="EXP-9")
    longer = _entry(object_type="operations.operation", object_id="1234", object_repr="EXP-8")
    here = _entry(ip="190.232.14.7")
    next_door = _entry(ip="190.232.14.70")
    request = _entry(request_id="ab12cd34ef56ab78")
    response, _queries = _get(master_client)
    assert "la IP o el id de la solicitud completos" in response.content.decode()  # the search's help
    assert _found(master_client, "123") == {op}
    assert _found(master_client, "190.232.14.7") == {here}
    assert next_door in _found(master_client, "190.232.14.70")
    # Pasted from a log or a proxy header in capitals.
    assert _found(master_client, "AB12CD34EF56AB78") == {request}
    assert _found(master_client, "ab12cd34") == set()
    assert longer not in _found(master_client, "12")


def test_names_and_details_are_found_by_any_part(master_client, master):
    trader = _entry(actor_username="gen.trader07", object_repr="Juana Quispe Mamani", message="Depósito anulado")
    other = _entry(actor_username="gen.operator02", object_repr="EXP-200123", message="Pago registrado en BCP")
    assert _found(master_client, "trader0") == {trader}
    assert _found(master_client, "quispe") == {trader}
    assert _found(master_client, "p-2001") == {other}
    assert _found(master_client, "ANULADO") == {trader}
    assert _found(master_client, "en bcp") == {other}  # every word, each anywhere
    assert _found(master_client, '"en bcp"') == {other}  # a phrase
    assert _found(master_client, '"bcp en"') == set()
    assert _found(master_client, "anulado operator") == set()


@pytest.mark.postgres
def test_a_search_walks_the_trail_only_when_matches_are_recent_or_many(monkeypatch, master):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite always filters")
    from accounts import models as audit_models

    monkeypatch.setattr(audit_models, "AUDIT_SEARCH_RECENT", 5)
    long_ago = timezone.make_aware(datetime(2020, 1, 1))
    old = {_entry(long_ago, message=f"viejo {i}") for i in range(6)}
    new = {_entry(message=f"nuevo {i}") for i in range(6)}

    def plan(term, many):
        monkeypatch.setattr(audit_models, "AUDIT_SEARCH_MANY", many)
        found = AuditEntry.objects.search(term, page_size=3)
        return set(found), "ANY(ARRAY(" in str(found.query)

    # A page of matches among the newest entries: the walk finds it there.
    assert plan("nuevo", many=100) == (new, False)
    # None among the newest, few in all: every match read through the indexes and sorted.
    assert plan("viejo", many=100) == (old, True)
    # None among the newest but many in all: reading them all could cost more than the walk.
    assert plan("viejo", many=6) == (old, False)


@pytest.mark.postgres
def test_every_column_the_search_compares_is_read_through_its_index(master):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the indexes are PostgreSQL's")
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, AuditEntry._meta.db_table)
    trigram = {
        name for name, index in indexes.items() if index.get("type") == "gin" and "gin_trgm_ops" in index["definition"]
    }
    assert {"audit_actor_username_trgm_idx", "audit_object_repr_trgm_idx", "audit_message_trgm_idx"} <= trigram

    # The indexes serve only if their expression is exactly the SQL Django writes for the search:
    # with sequential and plain index scans off, an arm without one leaves a Seq Scan in the plan.
    audit.record(AccountAction.LOGIN, master, actor=master)
    found = AuditEntry.objects.search("EXP-1")
    sql, params = found.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan
    for index in (
        "audit_actor_username_trgm_idx",
        "audit_object_repr_trgm_idx",
        "audit_message_trgm_idx",
        "audit_object_id_upper_idx",
        "audit_ip_upper_idx",
        "audit_request_id_upper_idx",
    ):
        assert index in plan
