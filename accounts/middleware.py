"""Server-side session limits: idle timeout and absolute lifetime, whatever the browser keeps."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _


def _now() -> int:
    return int(time.time())


class SessionTimeoutMiddleware:
    """Logs out after SESSION_IDLE_TIMEOUT seconds without a request (30 min) or SESSION_COOKIE_AGE
    seconds after login (12 h). The next view then sees an anonymous user and the admin sends it to
    the login page. The last-seen time is written at most once a minute to spare session writes.

    A deactivated user needs nothing here: Django's ModelBackend.get_user() refuses inactive users,
    so `request.user` is anonymous on the very next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request):
        session = request.session
        now = _now()
        started = session.get("qc_started")
        seen = session.get("qc_seen")
        if started is None or seen is None:
            session["qc_started"] = started or now
            session["qc_seen"] = now
            return
        idle = settings.SESSION_IDLE_TIMEOUT
        if now - started > settings.SESSION_COOKIE_AGE:
            self._end(request, "absolute", _("Your session reached its maximum duration. Please log in again."))
        elif now - seen > idle:
            self._end(request, "idle", _("Your session ended after a period of inactivity. Please log in again."))
        elif now - seen >= min(60, max(1, idle // 10)):
            session["qc_seen"] = now

    def _end(self, request, reason, text):
        request._qc_session_end = reason
        logout(request)
        messages.info(request, text)
