"""Every page the benchmark measures runs the same number of queries on 100 and on 2,000 operations,
within its limit: the cost of a page never grows with the years of data by adding queries."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bench.pages import ROLES, pages
from clients.models import BankAccount
from clients.models import Client as BusinessClient
from operations.models import Deposit, Operation, OperationEvent, Payout
from reports.models import TraderGoal

MAX_QUERIES = 12
# Pages allowed more than MAX_QUERIES (none now: the Master's index, with every panel, is within it).
LIMITS = {}
EXPORTS = "history export"
# An export is audited, and an audit entry is chained to the previous one (the advisory lock and the
# previous hash: two queries), besides the row-count check that picks direct or background export.
EXPORT_MAX_QUERIES = 14
UNTIL = "2026-11-27"


def generate(operations):
    call_command(
        "generate_data",
        operations=operations,
        clients=max(30, operations // 4),
        seed=11,
        until=UNTIL,
        i_know_this_is_not_production=True,
        stdout=io.StringIO(),
    )


def wipe():
    for model in (OperationEvent, Deposit, Payout, Operation, BankAccount, BusinessClient, TraderGoal):
        model.objects.all().delete()


def measure(django_assert_max_num_queries):
    browsers = {}
    counts = {}
    for name, role, url in pages():
        if role not in browsers:
            browsers[role] = Client()
            browsers[role].force_login(User.objects.get(username=ROLES[role]))
        browser = browsers[role]
        browser.get(url)  # first visit: the session and caches settle
        limit = LIMITS.get(name, EXPORT_MAX_QUERIES if name.startswith(EXPORTS) else MAX_QUERIES)
        with django_assert_max_num_queries(limit, info=name), CaptureQueriesContext(connection) as ctx:
            response = browser.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200, name
        counts[name] = len(ctx.captured_queries)
    return counts


@pytest.mark.django_db
def test_every_page_runs_as_many_queries_on_100_as_on_2000_operations(django_assert_max_num_queries, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    generate(100)
    small = measure(django_assert_max_num_queries)
    wipe()
    generate(2000)
    large = measure(django_assert_max_num_queries)

    # Exports stream their rows a chunk at a time (memory stays flat): a query per chunk is their
    # design; they are held to the limit above, and their time and memory to the benchmark.
    def comparable(counts):
        return {k: v for k, v in counts.items() if not k.startswith(EXPORTS) and k not in LIMITS}

    assert comparable(small) == comparable(large)
    assert set(small) == {name for name, _role, _url in pages()}
