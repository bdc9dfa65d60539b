"""PostgreSQL-only parts of the schema, written so SQLite (tests, `make run`) keeps working.

Trigram (pg_trgm) GIN indexes make "contains" searches (LIKE '%term%') use an index, and btree
indexes on the expression an admin's exact search compares (UPPER(HOST(ip)) = UPPER('…')) make those
use one. Django's `Meta.indexes` cannot hold them without making SQLite fail, so migrations add them
through `postgres_only(...)`, which runs its SQL on PostgreSQL and does nothing elsewhere.
"""

from django.db import migrations

TRIGRAM_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"


def postgres_only(forward, backward):
    """A migration operation running the `forward` SQL statements on PostgreSQL only."""

    def run(statements):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for sql in statements:
                    schema_editor.execute(sql, params=None)

        return apply

    return migrations.RunPython(run(forward), run(backward), elidable=False)


def trigram_index(table, name, expression):
    """A pg_trgm GIN index on `expression` (SQL, identical to what the query compares)."""
    return postgres_only(
        [TRIGRAM_EXTENSION, f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}) gin_trgm_ops)"],
        [f"DROP INDEX IF EXISTS {name}"],
    )


def expression_index(table, name, expression):
    """A btree index on `expression` (SQL, identical to what the query compares)."""
    return postgres_only(
        [f"CREATE INDEX IF NOT EXISTS {name} ON {table} (({expression}))"],
        [f"DROP INDEX IF EXISTS {name}"],
    )
