"""Our system checks replace django-ratelimit's cache check and guard the private storage settings."""

from django.core.management import call_command


def test_cache_check_refuses_locmem_with_several_workers(settings):
    from accounts.checks import check_ratelimit_cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.WEB_CONCURRENCY = 1
    assert check_ratelimit_cache(None) == []
    settings.WEB_CONCURRENCY = 3
    assert [e.id for e in check_ratelimit_cache(None)] == ["accounts.E001"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    assert check_ratelimit_cache(None) == []
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t"}}
    assert [e.id for e in check_ratelimit_cache(None)] == ["accounts.E002"]


def test_library_checks_are_silenced_only_because_ours_replace_them(settings):
    assert "django_ratelimit" in settings.INSTALLED_APPS  # its checks run...
    assert set(settings.SILENCED_SYSTEM_CHECKS) == {"django_ratelimit.E003", "django_ratelimit.W001"}
    call_command("check")  # ...and the project passes with ours in force


def test_storage_check_refuses_public_s3_and_public_cloudinary(settings):
    from accounts.checks import check_private_storage

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"default_acl": "public-read"}},
    }
    assert "accounts.E003" in [e.id for e in check_private_storage(None)]
    public = {"BACKEND": "cloudinary_storage.storage.RawMediaCloudinaryStorage"}
    settings.STORAGES = {**settings.STORAGES, "default": public}
    assert "accounts.E004" in [e.id for e in check_private_storage(None)]


def test_project_passes_its_checks():
    call_command("check")


def test_production_with_rate_limiting_refuses_the_in_process_cache(settings):
    from accounts.checks import check_ratelimit_cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.RATELIMIT_REQUIRE_SHARED_CACHE = True  # what DEBUG=false sets
    errors = check_ratelimit_cache(None)
    assert [e.id for e in errors] == ["accounts.E006"]
    assert "REDIS_URL" in errors[0].hint
    settings.RATELIMIT_ENABLE = False
    assert check_ratelimit_cache(None) == []
    settings.RATELIMIT_ENABLE = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    assert check_ratelimit_cache(None) == []


def test_production_settings_demand_a_shared_cache_and_start_with_redis():
    """The settings module as production loads it: without REDIS_URL the web process refuses to start."""
    import os
    import secrets
    import subprocess
    import sys

    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(45),
        "ALLOWED_HOSTS": "app.qoricash.pe",
        "REDIS_URL": "",
    }
    env.pop("DATABASE_URL", None)
    code = "import qoricash.wsgi"
    refused = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert refused.returncode != 0 and "accounts.E006" in refused.stderr
    env["REDIS_URL"] = "redis://127.0.0.1:6379/7"
    started = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert started.returncode == 0, started.stderr
