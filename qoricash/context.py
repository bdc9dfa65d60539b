"""Per-request facts (request id, client IP, user agent, user) for logs and the audit trail.

Services record audit entries without being handed the request: the middleware puts these facts
in a context variable, which is also safe under gunicorn's threads.
"""

import contextvars
from dataclasses import dataclass


@dataclass
class RequestContext:
    request_id: str = "-"
    ip: str | None = None
    user_agent: str = ""
    user: object = None


_current = contextvars.ContextVar("qoricash_request_context", default=None)


def get() -> RequestContext:
    return _current.get() or RequestContext()


def set_context(ctx: RequestContext):
    return _current.set(ctx)


def reset(token):
    _current.reset(token)
