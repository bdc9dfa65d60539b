"""The one trusted place that decides a request's client IP address.

Behind Render's proxy REMOTE_ADDR is the proxy itself. The proxy appends the address it saw to
X-Forwarded-For, so the right-most entries are the trustworthy ones: with TRUSTED_PROXY_COUNT=1
we take the last entry, which the client cannot forge.
"""

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        parts = [p.strip() for p in forwarded.split(",") if p.strip()]
        if len(parts) >= hops:
            return parts[-hops]
    return remote


def ratelimit_ip_key(group, request):
    """django-ratelimit key function: the same client IP the audit trail records."""
    return client_ip(request)
