"""Writing generated rows fast: PostgreSQL's COPY (psycopg 3), batched executemany elsewhere.

Rows are plain tuples in the order of the fields given; ids are assigned by the generator (so rows can
point at each other without reading anything back) and the sequences are moved past them at the end.
"""

import json

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

BATCH = 20000


class Table:
    """Rows are collected with `add(row)` and written every BATCH rows and at `flush()`.

    One COPY at a time per connection: each batch opens and closes its own COPY, so several tables
    can be filled in turns inside one transaction (foreign keys are checked at commit).
    """

    def __init__(self, model, fields):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in fields]
        # Every other column gets its field's default: Django sets no database defaults, and a
        # column the generator forgot must fail here by name, not as a NOT NULL error mid-run.
        given = {f.name for f in self.fields}
        rest = [f for f in model._meta.concrete_fields if f.name not in given and not f.primary_key]
        self._extra = tuple(f.get_default() for f in rest)
        missing = [f.name for f, value in zip(rest, self._extra, strict=True) if value is None and not f.null]
        if missing:
            raise ValueError(f"{model.__name__}: no value for {', '.join(missing)}")
        self.fields += rest
        self.count = 0
        self._last_id = model.objects.aggregate(m=Max("pk"))["m"] or 0
        self._rows = []
        self._json = [i for i, f in enumerate(self.fields) if f.get_internal_type() == "JSONField"]
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        self._copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        marks = ", ".join(["%s"] * len(self.fields))
        self._insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the model

    def next_id(self):
        self._last_id += 1
        return self._last_id

    def add(self, row):
        self._rows.append(tuple(row) + self._extra)
        self.count += 1
        if len(self._rows) >= BATCH:
            self.flush()

    def flush(self):
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        if self._json:
            rows = [self._dump_json(row) for row in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self._copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self._insert_sql, [self._prep(row) for row in rows])

    def _dump_json(self, row):
        row = list(row)
        for i in self._json:
            row[i] = json.dumps(row[i])
        return row

    def _prep(self, row):
        return [
            value if i in self._json else field.get_db_prep_save(value, connection)
            for i, (field, value) in enumerate(zip(self.fields, row, strict=True))
        ]


def reset_sequences(models):
    """Move the id sequences past the ids written explicitly (PostgreSQL; SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def skip_trigger_checks():
    """Inside the generator's transaction on PostgreSQL, as a superuser: no per-row foreign-key
    triggers (tens of millions of checks at commit, most of the run). The rows point at ids the
    generator just wrote, and its tests check them; elsewhere the database checks as usual."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def analyze():
    """Fresh planner statistics, as autovacuum would have them after years of normal use."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
