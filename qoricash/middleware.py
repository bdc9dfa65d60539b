import re
import uuid

from qoricash import context
from qoricash.net import client_ip

# A proxy-supplied id is logged only when it is plain ASCII (no log forging, no odd Unicode).
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


class RequestContextMiddleware:
    """Gives every request an id (echoed in X-Request-ID) and makes IP/user agent available to logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        # Accept a proxy's id only when it looks like one; never log arbitrary client text.
        rid = incoming if _REQUEST_ID.fullmatch(incoming) else ""
        request.request_id = rid or uuid.uuid4().hex[:16]
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
