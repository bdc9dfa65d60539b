"""URLconf for tests: the project's URLs plus views that fail on purpose, with the project's handlers."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path
from django_ratelimit.exceptions import Ratelimited

from qoricash.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def raiser(exc):
    def view(request):
        raise exc

    return view


urlpatterns = [
    *urlpatterns,
    path("fail/400/", raiser(SuspiciousOperation("tampered"))),
    path("fail/403/", raiser(PermissionDenied())),
    path("fail/404/", raiser(Http404())),
    path("fail/429/", raiser(Ratelimited())),
    path("fail/500/", raiser(RuntimeError("boom"))),
]


def broken_context_processor(request):
    raise RuntimeError("a context processor that needs the database failed")
