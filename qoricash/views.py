import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


@never_cache
@require_GET
def health(request):
    """For Render's health check and UptimeRobot: one cheap query, no login, no session."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except DatabaseError:
        log.exception("health check: database unreachable")
        database = "error"
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "error", "database": database, "version": settings.VERSION}
    return JsonResponse(body, status=status)


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
    # No context processors: the 500 page must render even when the database or a template tag failed.
    from django.template import loader

    from django.http import HttpResponseServerError

    return HttpResponseServerError(loader.get_template("500.html").render({"request": None}))
