import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from qoricash import context

log = logging.getLogger(__name__)


# One thread runs the health query: a database that never answers holds that one thread, and every
# probe meanwhile times out waiting for it instead of piling up threads of its own.
_health_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health")


def _ping_database():
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET statement_timeout = {int(settings.HEALTH_TIMEOUT * 1000)}")
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        # No idle connection kept by the health thread: the next probe connects afresh.
        connection.close()


@never_cache
@require_safe
def health(request):
    """For Render's health check and UptimeRobot (HEAD or GET): one cheap query, no login, no session.

    Answers within HEALTH_TIMEOUT seconds (3) even when the database accepts connections and never
    answers: then 503.
    """
    try:
        _health_worker.submit(_ping_database).result(timeout=settings.HEALTH_TIMEOUT)
        database = "ok"
    except FutureTimeout:
        log.error("health check: database did not answer within %s s", settings.HEALTH_TIMEOUT)
        database = "error"
    except DatabaseError as exc:
        log.error("health check: database unreachable: %s: %s", type(exc).__name__, exc)
        database = "error"
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "error", "database": database, "version": settings.VERSION}
    response = JsonResponse(body, status=status)
    # The line above is the record of a failed check. Without this flag django.request would log the
    # 503 as an ERROR and e-mail ADMINS on every probe (Render and UptimeRobot poll every few seconds).
    response._has_been_logged = True
    return response


def error_400(request, exception=None):
    return render(request, "400.html", status=400)


def error_403(request, exception=None):
    # django-ratelimit raises Ratelimited (a PermissionDenied): that is "too many requests", not "forbidden".
    from django_ratelimit.exceptions import Ratelimited

    if isinstance(exception, Ratelimited):
        return render(request, "429.html", status=429)
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No context processors and no request: the page must render even when the database, the session
    # or a context processor is what failed. The template is self-contained (no static files either).
    # The request id (from a context variable, not the database) lets support find the log lines.
    return HttpResponseServerError(loader.get_template("500.html").render({"request_id": context.get().request_id}))
