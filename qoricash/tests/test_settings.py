"""Production mode, exercised the way Render starts the app: a fresh process with a clean environment.

Settings are read once at import, so each case runs `manage.py` (or imports the WSGI module, as
gunicorn does) in a subprocess whose environment holds only what the case sets.
"""

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from qoricash.settings import DEV_SECRET_KEY, check_secret_key

BASE_DIR = Path(__file__).resolve().parents[2]
PROD_HOST = "app.qoricash.pe"


def strong_key():
    return secrets.token_urlsafe(45)  # 60 characters


def render_generated_key():
    """What Render's `generateValue: true` produces: 256 random bits in base64 (44 characters)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def run(args, tmp_path, **env):
    """Run python with `args` in BASE_DIR under a clean environment (no DATABASE_URL, no DEBUG...)."""
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "qoricash.settings",
        # Never touch the developer's db.sqlite3 from a test.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'subprocess.sqlite3'}",
    }
    clean.update({k: v for k, v in env.items() if v is not None})
    for k, v in env.items():
        if v is None:
            clean.pop(k, None)
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=120)


def production(**extra):
    # REDIS_URL: production refuses the in-process cache for login counters; nothing here connects.
    return {
        "DEBUG": "false",
        "SECRET_KEY": strong_key(),
        "ALLOWED_HOSTS": PROD_HOST,
        "REDIS_URL": "redis://127.0.0.1:6379/7",
        **extra,
    }


# --- check --deploy ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [strong_key, render_generated_key], ids=["60-characters", "render-generated"])
def test_check_deploy_passes_with_zero_findings(tmp_path, key):
    env = production(SECRET_KEY=key())
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output and "ERRORS" not in output


def test_check_deploy_reports_a_missing_production_setting(tmp_path):
    """The check is live: switching HSTS off in production is reported and fails the command."""
    env = production(SECURE_HSTS_SECONDS="0")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **env)
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


# --- SECRET_KEY guard ----------------------------------------------------------------------------

WEAK_KEYS = {
    "short": "short",
    "empty": "",
    "unset": None,  # falls back to the development default
    "dev-default": DEV_SECRET_KEY,
    "django-insecure": "django-insecure-" + "x1y2z3" * 10,
    "repetitive": "ab" * 40,
    "base64-but-not-random": base64.b64encode(b"a" * 32).decode(),
    "49-characters": "k" * 20 + secrets.token_hex(15)[:29],
}


@pytest.mark.parametrize("key", WEAK_KEYS.values(), ids=WEAK_KEYS.keys())
def test_production_refuses_to_start_without_a_strong_secret_key(tmp_path, key):
    env = production(SECRET_KEY=key)
    result = run(["manage.py", "check"], tmp_path, **env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: SECRET_KEY"), result.stderr


def test_gunicorn_import_path_refuses_too(tmp_path):
    """gunicorn imports qoricash.wsgi: a weak key must stop it there, with the reason."""
    result = run(["-c", "import qoricash.wsgi"], tmp_path, **production(SECRET_KEY="short"))
    assert result.returncode != 0
    assert "SECRET_KEY is too weak (5 characters)" in result.stderr


def test_development_needs_no_environment(tmp_path):
    result = run(["manage.py", "check"], tmp_path, DEBUG=None, SECRET_KEY=None)
    assert result.returncode == 0, result.stderr


def test_secret_key_guard_unit():
    assert check_secret_key(True, "short") == "short"  # development: anything goes
    key = strong_key()
    assert check_secret_key(False, key) == key
    generated = render_generated_key()
    derived = check_secret_key(False, generated)
    assert derived == base64.b64decode(generated).hex()  # the same 256 random bits, 64 hex characters
    assert len(derived) == 64
    url_safe = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    assert len(check_secret_key(False, url_safe)) == 64


# --- what production mode turns on ---------------------------------------------------------------

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
c = Client()
http = c.get("/admin/login/", HTTP_HOST="app.qoricash.pe")
https = c.get("/", HTTP_HOST="app.qoricash.pe", HTTP_X_FORWARDED_PROTO="https")
health = c.get("/health/", HTTP_HOST="app.qoricash.pe")
print(json.dumps({
    "http_status": http.status_code,
    "http_location": http.headers.get("Location"),
    "https_status": https.status_code,
    "hsts": https.headers.get("Strict-Transport-Security"),
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "health_status": health.status_code,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "csrf_cookie_httponly": settings.CSRF_COOKIE_HTTPONLY,
    "proxy_header": settings.SECURE_PROXY_SSL_HEADER,
    "debug": settings.DEBUG,
    "staticfiles": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def test_production_mode_redirects_to_https_behind_renders_proxy(tmp_path):
    result = run(["-c", PROBE], tmp_path, **production())
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["debug"] is False
    assert facts["http_status"] == 301
    assert facts["http_location"] == "https://app.qoricash.pe/admin/login/"
    assert facts["https_status"] == 302  # X-Forwarded-Proto from Render's proxy is trusted: "/" -> /admin/
    assert facts["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert facts["csrf_cookie_secure"] is True
    assert facts["session_cookie_secure"] is True
    assert facts["session_cookie_httponly"] is True
    assert facts["csrf_cookie_httponly"] is True
    assert facts["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # Render's health probe talks plain HTTP to the instance: it must not be redirected.
    assert facts["health_status"] == 200
    assert facts["staticfiles"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


ENV_PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "admins": settings.ADMINS,
    "email_backend": settings.EMAIL_BACKEND,
    "email_host": settings.EMAIL_HOST,
    "email_timeout": settings.EMAIL_TIMEOUT,
    "cache": settings.CACHES["default"]["BACKEND"],
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": settings.DATABASES["default"]["NAME"],
    "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "log_level": settings.LOGGING["root"]["level"],
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "csrf_trusted": settings.CSRF_TRUSTED_ORIGINS,
    "language": settings.LANGUAGE_CODE,
    "tz": settings.TIME_ZONE,
    "use_tz": settings.USE_TZ,
}))
"""


def test_settings_come_from_the_environment(tmp_path):
    env = production(
        ADMINS="Operaciones:ops@qoricash.pe,dev@qoricash.pe",
        EMAIL_URL="smtp+tls://user:pass@smtp.example.com:587",
        REDIS_URL="redis://127.0.0.1:6390/1",
        DATABASE_URL="postgres://qc:pw@db.internal:5432/qoricash",
        CONN_MAX_AGE="120",
        LOG_LEVEL="WARNING",
        CSRF_TRUSTED_ORIGINS="https://app.qoricash.pe",
        RENDER_EXTERNAL_HOSTNAME="qoricash.onrender.com",
    )
    result = run(["-c", ENV_PROBE], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["admins"] == [["Operaciones", "ops@qoricash.pe"], ["dev@qoricash.pe", "dev@qoricash.pe"]]
    # Django's SMTP backend with a deadline for the whole exchange (qoricash.outbox.smtp)
    assert facts["email_backend"] == "qoricash.outbox.smtp.EmailBackend"
    assert facts["email_timeout"] == 10
    assert facts["email_host"] == "smtp.example.com"
    assert facts["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert facts["db_engine"] == "django.db.backends.postgresql"
    assert facts["db_name"] == "qoricash"
    assert facts["conn_max_age"] == 120
    assert facts["log_level"] == "WARNING"
    assert facts["allowed_hosts"] == ["app.qoricash.pe", "qoricash.onrender.com"]
    assert facts["csrf_trusted"] == ["https://app.qoricash.pe"]
    assert (facts["language"], facts["tz"], facts["use_tz"]) == ("es-pe", "America/Lima", True)


def test_development_defaults(tmp_path):
    result = run(["-c", ENV_PROBE], tmp_path, DEBUG=None, SECRET_KEY=None, DATABASE_URL=None)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    assert facts["db_engine"] == "django.db.backends.sqlite3"
    assert facts["db_name"] == str(BASE_DIR / "db.sqlite3")
    assert facts["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert facts["admins"] == []


def test_secret_key_fallbacks_are_checked_and_derived_like_the_key(tmp_path):
    """Rotating away from a Render-generated key keeps sessions only if the old key is derived the same way."""
    old = render_generated_key()
    probe = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY_FALLBACKS[0])"
    result = run(["-c", probe], tmp_path, **production(SECRET_KEY_FALLBACKS=old))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == base64.b64decode(old).hex()

    weak = run(["manage.py", "check"], tmp_path, **production(SECRET_KEY_FALLBACKS="short"))
    assert weak.returncode != 0
    assert "SECRET_KEY is too weak" in weak.stderr


def test_on_render_a_forgotten_debug_means_production(tmp_path):
    result = run(["manage.py", "check"], tmp_path, RENDER="true", DEBUG=None, SECRET_KEY="short")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr
