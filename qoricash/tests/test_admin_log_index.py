from django.contrib.admin.models import LogEntry
from django.db import connection


def test_recent_actions_are_read_through_an_index_on_user_and_time(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, LogEntry._meta.db_table)
    indexed = [c["columns"] for c in constraints.values() if c["index"]]
    assert ["user_id", "action_time"] in indexed
