import re
import uuid

from qoricash import context
from qoricash.net import client_ip, through_trusted_proxy

# The shape of the id Render's proxy sends (a UUID, with or without hyphens, or a run of hex digits).
# Anything else is not the proxy's, and a client's own text never names a request in the logs.
_REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,64}", re.IGNORECASE)


def _proxy_request_id(request) -> str:
    if not through_trusted_proxy(request):
        # Nothing sits in front of us: the header is whatever the client chose to send.
        return ""
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if _REQUEST_ID.fullmatch(incoming) else ""


class RequestContextMiddleware:
    """Gives every request an id (echoed in X-Request-ID) and makes IP/user agent available to logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = _proxy_request_id(request) or uuid.uuid4().hex[:16]
        ctx = context.RequestContext(
            request_id=request.request_id,
            ip=client_ip(request) or None,
            user_agent=request.headers.get("User-Agent", "")[:300],
        )
        token = context.set_context(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class CurrentUserMiddleware:
    """Exposes the authenticated user to services through the request context."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = context.get()
        ctx.user = getattr(request, "user", None)
        return self.get_response(request)


# C0 control characters and DEL. PostgreSQL refuses NUL in text outright (a DataError, i.e. a 500
# e-mailed to ADMINS), and none of them belongs in a name, a search or a filter. Form fields may hold
# tab and line breaks (notes); a path never does.
_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_DATA = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectControlCharactersMiddleware:
    """Answers 400 (the Spanish error page) to a control character in the path, the query string or
    a form field, before any view or query sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = self._offending_part(request)
        if where:
            from qoricash.views import error_400

            # django.request logs the 400 as one WARNING line (never mailed).
            return error_400(request)
        return self.get_response(request)

    @staticmethod
    def _offending_part(request):
        if _CONTROL_IN_PATH.search(request.path_info):
            return "path"
        if _has_control(request.GET.lists()):
            return "query string"
        # Uploaded file names need nothing here: Django's multipart parser already drops control characters.
        is_form = request.method in {"POST", "PUT", "PATCH"} and request.content_type in _FORM_TYPES
        if is_form and _has_control(request.POST.lists()):
            return "form"
        return ""


def _has_control(items):
    return any(_CONTROL_IN_DATA.search(key) or any(_CONTROL_IN_DATA.search(v) for v in values) for key, values in items)
