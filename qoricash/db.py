"""Per-statement time limit for the web process's database connections.

gunicorn's gthread workers never kill a slow request (its `timeout` only restarts a worker whose
main loop stopped), so the database bounds a web request's queries instead: every connection the
web process opens runs with `statement_timeout` = DB_STATEMENT_TIMEOUT. Management commands (cron
jobs, migrations, backups, imports run by hand) do not load qoricash/wsgi.py and keep no limit.
"""

from django.conf import settings
from django.db.backends.signals import connection_created

_web_process = False


def bound_web_statements():
    """Called once by qoricash/wsgi.py: from now on this process is a web server."""
    global _web_process
    _web_process = True
    connection_created.connect(_apply_statement_timeout, dispatch_uid="qoricash.db.statement_timeout")


def _apply_statement_timeout(sender, connection, **kwargs):
    if not _web_process or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(settings.DB_STATEMENT_TIMEOUT) * 1000}")
