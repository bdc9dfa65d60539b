"""Log lines for Render's log stream: one event per line, greppable by request id."""

import logging
from datetime import datetime

from qoricash import context


class RequestIdFilter(logging.Filter):
    """Adds the current request id to every record so one request's lines can be grepped together."""

    def filter(self, record):
        # django.request logs 4xx/5xx responses after the middleware has finished (and the context is
        # gone), but it passes the request along: prefer the id stamped on it.
        from_request = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = from_request or context.get().request_id
        return True


class OneLineFormatter(logging.Formatter):
    """Exactly one line per event.

    A traceback or a newline smuggled into a logged value (a URL, a username) would otherwise split
    one event over many lines, or forge a fake line. Newlines are written as the two characters
    ``\\n``; the full traceback still reaches ADMINS by e-mail.
    """

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's API)
        stamp = datetime.fromtimestamp(record.created).astimezone()
        return stamp.isoformat(timespec="milliseconds")

    def format(self, record):
        return super().format(record).replace("\r", "").replace("\n", "\\n")


class ForbiddenAsInfo(logging.Filter):
    """A 403 is a refused request, not a fault: one INFO line with who, what and the request id.

    django.request logs every 4xx at WARNING, and a PermissionDenied with its whole traceback;
    tracebacks stay for 500s.
    """

    def filter(self, record):
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        user = getattr(request, "user", None)
        username = user.get_username() if getattr(user, "is_authenticated", False) else "-"
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info = record.exc_text = None
        record.msg, record.args = "Forbidden: user=%s path=%s", (username, getattr(request, "path", "-"))
        return True
