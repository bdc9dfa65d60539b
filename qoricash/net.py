"""The one trusted place that decides a request's client IP address.

Behind Render's proxy REMOTE_ADDR is the proxy itself. The proxy appends the address it saw to
X-Forwarded-For, so the right-most entries are the trustworthy ones: with TRUSTED_PROXY_COUNT=1
we take the last entry, which the client cannot forge.
"""

import ipaddress

from django.conf import settings


def _valid(address) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


def client_ip(request) -> str:
    """The client's address; "" when not even the peer's is a valid address.

    A forwarded entry that is not an address (a misbehaving proxy, or a client's text when more hops
    are trusted than exist) falls back to the peer address: it never reaches the audit trail's
    address column or the rate limiter as text.
    """
    remote = _valid((request.META.get("REMOTE_ADDR", "") or "").strip())
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        parts = [p.strip() for p in forwarded.split(",") if p.strip()]
        if len(parts) >= hops:
            return _valid(parts[-hops]) or remote
    return remote


def through_trusted_proxy(request) -> bool:
    """Whether headers set by our proxy may be believed: only when one is configured in front of us.

    Without it every header came from the client itself.
    """
    return getattr(settings, "TRUSTED_PROXY_COUNT", 0) > 0


def ratelimit_ip_key(group, request):
    """django-ratelimit key function: the same client IP the audit trail records."""
    return client_ip(request)
