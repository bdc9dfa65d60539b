import pytest
from django.contrib.auth.models import Group
from django.db import connection

from qoricash import paginator
from qoricash.paginator import EstimatedCountPaginator


@pytest.mark.postgres
def test_a_result_the_planner_expects_small_is_counted_up_to_a_bound(db, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: other databases always count")
    Group.objects.bulk_create(Group(name=f"zz{i}") for i in range(5))
    groups = Group.objects.filter(name__startswith="zz").order_by("name")
    monkeypatch.setattr(paginator, "planner_estimate", lambda queryset: 1)  # far below the truth
    monkeypatch.setattr(paginator, "COUNTED_UP_TO", 6)
    assert EstimatedCountPaginator(groups, 2).count == 5
    monkeypatch.setattr(paginator, "COUNTED_UP_TO", 3)
    assert EstimatedCountPaginator(groups, 2).count == 3
