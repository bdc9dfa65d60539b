"""System checks that replace django-ratelimit's cache check and guard private storage.

django-ratelimit's E003 refuses LocMemCache outright and W001 flags anything but memcached and
django-redis. Both are silenced in settings, *only* because these checks state the real rule:
- LocMemCache counts per process and forgets on every worker restart (gunicorn's max_requests, a
  deploy): development only. Production (DEBUG=false) with rate limiting refuses it (E006); with
  several processes it is wrong even in development (E001).
- Django's RedisCache has atomic add()/incr(), which is all the library needs.
- Database, file and dummy caches are refused (not atomic or not a cache).
"""

from django.conf import settings
from django.core import checks

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
SHARED_OK = {
    "django.core.cache.backends.redis.RedisCache",
    "django_redis.cache.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
}


@checks.register(checks.Tags.caches, checks.Tags.security)
def check_ratelimit_cache(app_configs, **kwargs):
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    workers = int(getattr(settings, "WEB_CONCURRENCY", 1) or 1)
    enabled = getattr(settings, "RATELIMIT_ENABLE", True)
    if backend == LOCMEM and enabled and getattr(settings, "RATELIMIT_REQUIRE_SHARED_CACHE", False):
        return [
            checks.Error(
                "Production (DEBUG=false) with login rate limiting needs a shared cache: the counters are "
                "in this process's memory, so a worker restart, a deploy or a second instance resets them "
                "and the login lockout can be undone by anyone.",
                hint="Set REDIS_URL (render.yaml: the qoricash-kv Key Value service).",
                id="accounts.E006",
            )
        ]
    if backend == LOCMEM:
        if workers > 1:
            return [
                checks.Error(
                    f"Login rate limits count in LocMemCache, but WEB_CONCURRENCY={workers}: each process "
                    "would count separately and the limits would multiply.",
                    hint="Set REDIS_URL (a shared cache), or run one gunicorn worker with threads.",
                    id="accounts.E001",
                )
            ]
        return []
    if backend not in SHARED_OK:
        return [
            checks.Error(
                f"Cache backend {backend} cannot hold rate-limit counters (not atomic or not shared).",
                hint="Use Redis (REDIS_URL) or, for a single process, LocMemCache.",
                id="accounts.E002",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_private_storage(app_configs, **kwargs):
    errors = []
    default = settings.STORAGES.get("default", {})
    backend = default.get("BACKEND", "")
    options = default.get("OPTIONS", {})
    public_s3 = options.get("default_acl") not in (None, "private") or not options.get("querystring_auth", True)
    if backend == "storages.backends.s3.S3Storage" and public_s3:
        errors.append(
            checks.Error(
                "S3 storage would make private files public (default_acl or querystring_auth).",
                id="accounts.E003",
            )
        )
    if backend.startswith("cloudinary_storage."):
        errors.append(
            checks.Error(
                "django-cloudinary-storage delivers files publicly; use qoricash.storage.PrivateCloudinaryStorage.",
                id="accounts.E004",
            )
        )
    if getattr(settings, "STORAGE_BACKEND", "local") == "cloudinary":
        import os

        if not os.environ.get("CLOUDINARY_URL"):
            errors.append(
                checks.Error(
                    "STORAGE_BACKEND=cloudinary but CLOUDINARY_URL is not set.",
                    hint="cloudinary://<api_key>:<api_secret>@<cloud_name>",
                    id="accounts.E005",
                )
            )
    return errors


@checks.register(checks.Tags.security)
def check_downloadable_models(app_configs, **kwargs):
    from qoricash.downloads import registry

    warnings = []
    for kind, model in registry().items():
        if not hasattr(model._default_manager, "visible_to"):
            warnings.append(
                checks.Warning(
                    f"{model._meta.label} stores private files but its default manager has no visible_to(user): "
                    f"its files (/admin/files/{kind}/<id>/) answer 404 to everybody until it has one.",
                    id="accounts.W001",
                )
            )
    return warnings
