"""Login rate limits: per client IP and per username, counted in the shared cache.

The per-username counter is keyed by the username as authentication will see it (the login form
applies NFKC, so "ｏｐｅｒａｄｏｒ" is "operador"), case-folded, so look-alike spellings share one
bucket. Because anybody can keep a username's bucket full, the per-username limit alone does not
refuse a correct password sent from an address that has not failed for that user (the per-IP limit
still applies). See docs/security.md.
"""

import functools
import hashlib
import unicodedata

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import caches
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from qoricash.net import client_ip

EMPTY = "<vacío>"


def login_ip_rate(group, request):
    return settings.RATELIMIT_LOGIN_IP


def login_user_rate(group, request):
    return settings.RATELIMIT_LOGIN_USER


def password_reset_rate(group, request):
    return settings.RATELIMIT_PASSWORD_RESET


def normalize_name(value) -> str:
    """One spelling per name: NFKC (what the login form applies), trimmed, case-folded."""
    return unicodedata.normalize("NFKC", str(value or "")).strip().casefold()


def username_key(group, request):
    return normalize_name(request.POST.get("username"))[:150] or EMPTY


def email_key(group, request):
    return normalize_name(request.POST.get("email"))[:254] or EMPTY


def _cache():
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def _failure_key(ip, name) -> str:
    digest = hashlib.sha256(f"{ip}\n{name}".encode()).hexdigest()
    return f"qc:login-failed:{digest}"


def remember_failure(request, username):
    """Called for every failed login: this address has now failed for this username."""
    if request is None or not settings.RATELIMIT_ENABLE:
        return
    name = normalize_name(username)[:150] or EMPTY
    _cache().set(_failure_key(client_ip(request), name), 1, settings.RATELIMIT_LOGIN_FAILURE_MEMORY)


def forget_failures(request, user):
    """A successful login clears the record of its own address's failures for that user."""
    if request is None or not settings.RATELIMIT_ENABLE:
        return
    _cache().delete(_failure_key(client_ip(request), normalize_name(user.get_username())))


def _has_failed_here(request) -> bool:
    return _cache().get(_failure_key(client_ip(request), username_key(None, request))) is not None


def _correct_password(request) -> bool:
    form_class = admin.site.login_form or AdminAuthenticationForm
    return form_class(request, data=request.POST).is_valid()


def protect_login(view):
    """Wrap the admin's bound login view with both limits (POSTs only; a GET shows the form)."""

    @functools.wraps(view)
    def protected(request, *args, **kwargs):
        if request.method == "POST":
            if is_ratelimited(request, group="login-ip", key="ip", rate=login_ip_rate, method="POST", increment=True):
                raise Ratelimited
            user_limited = is_ratelimited(
                request, group="login-user", key=username_key, rate=login_user_rate, method="POST", increment=True
            )
            # The password is checked only for an address with a clean record: a guesser that already
            # failed from here gets no further answer about the password while the bucket is full.
            if user_limited and (_has_failed_here(request) or not _correct_password(request)):
                raise Ratelimited
        return view(request, *args, **kwargs)

    protected._qc_rate_limited = True
    return protected
