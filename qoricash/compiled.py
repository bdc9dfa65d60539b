"""SQL compiled once per process for the queries that run on (nearly) every request.

Turning a queryset into SQL costs Django more CPU than PostgreSQL needs to answer a small query,
and one web process serves the whole desk. The user of each request (`accounts.backends`) and the
operations list's staff filters run the same SQL every time: their SQL is compiled on first use,
per database, and reused with `Manager.raw()`, which gives the same model instances.

Only for querysets whose SQL never depends on the request, the clock or the settings.
"""

from django.db import connections, router

_sql = {}


def sql_of(key, build, model):
    """(sql, params) of `build()` on `model`'s read database, compiled the first time `key` is asked
    for on that database."""
    using = router.db_for_read(model)
    cache_key = (key, using, connections[using].vendor)
    if cache_key not in _sql:
        _sql[cache_key] = build().query.get_compiler(using).as_sql()
    return _sql[cache_key]


def instances(key, build, model):
    """The `model` instances `build()` returns, from SQL compiled once (see `sql_of`)."""
    sql, params = sql_of(key, build, model)
    return list(model._default_manager.db_manager(router.db_for_read(model)).raw(sql, params))
