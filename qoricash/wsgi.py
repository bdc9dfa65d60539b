"""The WSGI application gunicorn (and runserver) serve.

Importing this module marks the process as a web server: database connections opened here get the
per-statement time limit (qoricash.db), which management commands and background jobs do not.
gunicorn does not run Django's system checks, so the checks production cannot start without are
run here; a failure stops the start with the reason instead of serving.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoricash.settings")

application = get_wsgi_application()


def _refuse_unsafe_start():
    from django.core.exceptions import ImproperlyConfigured

    from accounts.checks import check_ratelimit_cache

    errors = check_ratelimit_cache(None)
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg} {e.hint or ''}".strip() for e in errors))


_refuse_unsafe_start()

from qoricash.db import bound_web_statements  # noqa: E402  (after Django is set up)

bound_web_statements()
