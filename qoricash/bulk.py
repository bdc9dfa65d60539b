"""Inserting many new rows of one model at once, each object getting its id, in the list's order.

`insert(objs)` is `bulk_create` for plain models (no save() of their own to run): on PostgreSQL
the ids are drawn from the table's sequence in one query, in ascending order, and the rows are
written with COPY. Django's bulk_create sends the values as one array per column (UNNEST), and
psycopg escapes every element of those arrays in Python: for the 30,000 rows of a large clients
import (accounts and audit entries) that was most of the time spent writing. Elsewhere (SQLite)
it is bulk_create itself.
"""

from django.db import connections, router


def insert(objs, *, batch_size=1000):
    """Insert `objs` (new instances of one model); returns them with their ids set.

    Each field's value is what `save()` would store (`pre_save` fills auto_now_add dates); the ids
    ascend in the order of `objs`, as with bulk_create.
    """
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model._default_manager.using(using).bulk_create(objs, batch_size=batch_size)
    opts = model._meta
    pk = opts.pk
    fields = [f for f in opts.concrete_fields if f is not pk]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [pk, *fields])
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    # COPY runs on psycopg's own cursor: its errors are turned into Django's (IntegrityError...) here.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
            [opts.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy:
            for obj, pk_value in zip(objs, ids, strict=True):
                setattr(obj, pk.attname, pk_value)
                copy.write_row([pk_value, *(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs
