"""The lists' rows (qoricash/admin_rows.py) are Django's rows, character by character: every list of the
site, over the demo data, as each demo user, with and without a search (the links then carry the
list's filters), compared with what Django's own `items_for_result` writes."""

import io
from decimal import Decimal

import pytest
import time_machine
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import User
from accounts.tests.factories import UserFactory
from operations.models import Operation
from operations.tests.factories import OperationFactory
from qoricash import context
from qoricash.admin_rows import rows
from qoricash.admin_site import QoriCashAdminSite

pytestmark = pytest.mark.django_db


def _changelist(model_admin, user, query="", path=None):
    opts = model_admin.model._meta
    path = path or reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    request = RequestFactory().get(f"{path}?{query}")
    request.resolver_match = resolve(path)  # the list's filters are preserved in links only on the list itself
    request.user = user
    cl = model_admin.get_changelist_instance(request)
    cl.formset = None  # what changelist_view sets for a list without editable rows
    return cl


def _html(row_list):
    return ["".join(str(cell) for cell in row) for row in row_list]


@pytest.fixture
def demo(settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())


def test_every_list_shows_the_rows_django_would(demo):
    compared = 0
    for username in ("master", "trader", "operador", "cumplimiento"):
        user = User.objects.get(username=username)
        # Display methods read the user from the request context (display methods get no request).
        token = context.set_context(context.RequestContext(user=user))
        try:
            for model, model_admin in admin.site._registry.items():
                for query in ("", "q=a", "o=-2.1"):
                    if query.startswith("q") and not model_admin.get_search_fields(None):
                        continue
                    cl = _changelist(model_admin, user, query)
                    ours, django = _html(rows(cl)), _html(results(cl))
                    assert ours == django, f"{model._meta.label} as {username} ?{query}"
                    compared += len(ours)
        finally:
            context.reset(token)
    assert compared > 500  # the demo data filled the lists


def test_the_operations_list_page_shows_those_rows(demo, client):
    master = User.objects.get(username="master")
    client.force_login(master)
    with time_machine.travel(timezone.now(), tick=False):  # "time in process" reads the clock
        page = client.get("/admin/operations/operation/?status__exact=in_process").content.decode()
        cl = _changelist(admin.site._registry[Operation], master, "status__exact=in_process")
        expected = _html(results(cl))
    assert len(expected) > 1
    for row in expected:
        assert f"<tr>{row}</tr>" in page
    # The change links keep the list's filter, as Django's do.
    assert "/change/?_changelist_filters=status__exact%3Din_process" in expected[0]


class EveryKindOfColumn(admin.ModelAdmin):
    list_display = (
        "action_checkbox",
        "code",
        "client",
        "status",
        "created_at",
        "amount_usd",
        "__str__",
        "is_final",  # a property
        "get_type_display",  # a model method
        "client__document_number",  # a lookup across a relation
        lambda op: op.code.lower(),
        "plain",
        "marked",
        "blank",
        "nothing",
        "day",
        "moment",
        "flag",
        "figure",
        "own_empty",
        "missing",
    )
    list_display_links = ("code", "plain", "marked")

    def plain(self, op):
        return f"<b>{op.code}</b> & co"  # not marked safe: escaped

    def marked(self, op):
        return format_html("<b>{}</b>", op.code)

    def blank(self, op):
        return "   "

    def nothing(self, op):
        return None

    def day(self, op):
        return op.created_at.date()

    def moment(self, op):
        return op.created_at

    @admin.display(boolean=True)
    def flag(self, op):
        return op.pk % 2 == 0

    def figure(self, op):
        return Decimal("1234.5")

    @admin.display(empty_value="(none)")
    def own_empty(self, op):
        return ""

    def missing(self, op):
        raise Operation.DoesNotExist


def test_every_kind_of_column_reads_as_djangos():
    OperationFactory(code="EXP-<1>")
    OperationFactory(status="in_process")
    site = QoriCashAdminSite(name="rows_test")
    site.register(Operation, EveryKindOfColumn)
    master = UserFactory(role="Master")
    shown = []
    for query in ("", "q=EXP", "status__exact=in_process"):
        cl = _changelist(site._registry[Operation], master, query, path="/admin/operations/operation/")
        ours, django = _html(rows(cl)), _html(results(cl))
        assert ours == django
        shown += ours
    assert len(shown) == 5
    assert "&lt;b&gt;EXP-&lt;1&gt;&lt;/b&gt; &amp; co" in str(shown)


def test_lists_of_other_admin_sites_keep_djangos_rows(db):
    site = admin.AdminSite(name="plain")
    site.register(Operation)
    cl = _changelist(site._registry[Operation], UserFactory(role="Master"))
    assert not hasattr(cl, "result_rows")


def test_an_empty_cell_shows_the_sites_dash(admin_client):
    never = UserFactory(username="nunca", last_login=None)
    response = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": never.username})
    cell = response.content.decode().split('class="field-last_login', 1)[1].split("</td>", 1)[0]
    assert cell.endswith(">—")  # qoricash.display's dash, not Django's "-"
