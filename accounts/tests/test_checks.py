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
