"""QoriCash back-office settings.

Every value comes from the environment (django-environ) with a development default that needs
nothing installed: SQLite, local files, console e-mail. Production is whatever runs with
DEBUG=false, and it refuses to start unless the secrets it depends on are real.
"""

import base64
import binascii
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

# A well-known value only good for a laptop; production refuses it by name below.
DEV_SECRET_KEY = "django-insecure-dev-only-qoricash-never-use-this-key-in-production-0000"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

# Development by default so `make run` needs nothing; on Render (which sets RENDER=true) a forgotten
# DEBUG variable means production, never debug pages with the development key.
DEBUG = env.bool("DEBUG", default=not env.bool("RENDER", default=False))
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
VERSION = env.str("APP_VERSION", default=env.str("RENDER_GIT_COMMIT", default="dev"))[:12]


def _generated_key_bytes(value):
    """The random bytes of a key written in base64 (Render's `generateValue`: 32 bytes, 44 characters)."""
    padded = value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    # 32 truly random bytes have about 30 distinct values; "aaaa...", a word or a date do not qualify.
    return raw if len(raw) >= 32 and len(set(raw)) >= 16 else None


def check_secret_key(debug, secret_key):
    """Return the signing key to use; in production refuse a guessable one (sessions, reset tokens).

    Accepted in production: 50+ characters, or a base64 value of at least 32 random bytes such as
    the one Render generates (44 characters). The latter is used as the same bytes in hex, which is
    the 64-character form Django's own `check --deploy` expects.
    """
    if debug:
        return secret_key
    if not secret_key:
        raise ImproperlyConfigured("SECRET_KEY is missing: set it in the environment (50+ random characters).")
    if secret_key == DEV_SECRET_KEY or secret_key.startswith("django-insecure"):
        raise ImproperlyConfigured("SECRET_KEY is the development default: generate a new one for production.")
    if len(secret_key) >= 50 and len(set(secret_key)) >= 5:
        return secret_key
    generated = _generated_key_bytes(secret_key)
    if generated is not None:
        return generated.hex()
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak ({len(secret_key)} characters): it needs at least 50 random characters."
    )


SECRET_KEY = check_secret_key(DEBUG, SECRET_KEY)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
if env.str("RENDER_EXTERNAL_HOSTNAME", default=""):
    ALLOWED_HOSTS.append(env.str("RENDER_EXTERNAL_HOSTNAME"))
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "qoricash.apps.QoriCashAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "qoricash",
    "accounts",
    "clients",
    "operations",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise so that static files (an SVG opened on its own) carry the policy too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qoricash.middleware.RequestContextMiddleware",
    "qoricash.middleware.RejectControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qoricash.middleware.CurrentUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "qoricash.urls"
WSGI_APPLICATION = "qoricash.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if not DEBUG else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Web requests are bounded in the database (qoricash/db.py): a statement of a web request is
# cancelled after DB_STATEMENT_TIMEOUT seconds; commands and background jobs are exempt. A database
# that accepts the connection but never answers is given up after DB_CONNECT_TIMEOUT seconds.
DB_STATEMENT_TIMEOUT = env.int("DB_STATEMENT_TIMEOUT", default=30)
DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=5)
HEALTH_TIMEOUT = env.float("HEALTH_TIMEOUT", default=3.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DB_CONNECT_TIMEOUT
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend, reading a user's permissions in one query (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.OneQueryModelBackend"]
LOGIN_URL = "admin:login"
# Where a login goes when its ?next= is refused (another host) or missing: the admin index.
LOGIN_REDIRECT_URL = "admin:index"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es-pe"
LANGUAGES = [("es-pe", "Español (Perú)"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False
FORMAT_MODULE_PATH = ["qoricash.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Development and tests serve static files from the finders (no collectstatic, no warning about a
# missing STATIC_ROOT); production serves the hashed, compressed files collectstatic wrote.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Uploaded files are private: MEDIA_URL is never routed, files are only served by the
# permission-checked download view.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/private-media-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=10 * 1024 * 1024)

STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND not in {"local", "cloudinary", "s3"}:
    raise ImproperlyConfigured("STORAGE_BACKEND must be one of: local, cloudinary, s3.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    # No collectstatic needed for `make run` or the tests.
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# E-mail: console by default; production sets EMAIL_URL=smtp+tls://user:pass@host:587
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="QoriCash Trading <no-reply@qoricash.pe>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
ADMINS = [tuple(a.split(":", 1)) if ":" in a else (a, a) for a in env.list("ADMINS", default=[])]
EMAIL_SUBJECT_PREFIX = "[QoriCash] "
# Every SMTP read and write gives up after EMAIL_TIMEOUT seconds; the delivery right after a commit
# is bounded by it as a whole (qoricash.outbox.smtp), so a slow server never holds a request.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":  # noqa: F821 (set by EMAIL_CONFIG)
    EMAIL_BACKEND = "qoricash.outbox.smtp.EmailBackend"
# The outbox: attempts before a message is marked failed (send_pending_emails retries with backoff).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=8)

# The login rate-limit counters live in this cache. Production needs it shared by every process and
# instance and outliving them (Render Key Value, REDIS_URL): accounts.E006 refuses to start without.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Two sites on one Key Value (a staging beside production, or two test runs) keep apart.
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="qc"),
            # A Redis that does not answer must not hang the login page.
            "OPTIONS": {"socket_connect_timeout": 3, "socket_timeout": 3},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "qoricash"}}

SESSION_COOKIE_AGE = env.int("SESSION_MAX_AGE", default=12 * 3600)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp; docs/security.md). Scripts only from our own static files: no
# template or view of ours writes an inline script or an event-handler attribute (pages pass data
# through data-* attributes and json_script blocks, which do not execute).
# style-src keeps 'unsafe-inline' (checked in Chromium: without it the index, the position page and the
# outbox lose styles): the goal and position bars carry a width computed per row, django-import-export's
# export page has style attributes, and the outbox shows each e-mail, inline-styled for mail clients,
# in a sandboxed srcdoc frame, which inherits this policy. A style attribute cannot run script, and
# template escaping keeps injected markup from adding one.
# img-src needs no storage host: private files are never embedded, only downloaded (a navigation to
# /admin/files/..., then an attachment or a redirect to a signed URL), which CSP does not govern.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

if not DEBUG:
    # Render terminates TLS at its proxy and forwards X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Business limits (configurable without a deploy).
RATE_MIN = env.str("RATE_MIN", default="2.5000")
RATE_MAX = env.str("RATE_MAX", default="5.0000")
# How much worse for the house than the published compra/venta a negotiated rate may be (PEN per
# USD) before the operation needs a supervisor's approval; a rate that loses against the base always does.
RATE_TOLERANCE = env.str("RATE_TOLERANCE", default="0.0100")
OPERATION_MAX_USD = env.str("OPERATION_MAX_USD", default="500000.00")
OPERATION_SLA_MINUTES = env.int("OPERATION_SLA_MINUTES", default=10)
POSITION_IMBALANCE_USD = env.str("POSITION_IMBALANCE_USD", default="5000.00")
POSITION_CRITICAL_HOURS = env.int("POSITION_CRITICAL_HOURS", default=24)
POSITION_CRITICAL_USD = env.str("POSITION_CRITICAL_USD", default="10000.00")
# Anti-money-laundering thresholds in USD (docs/cumplimiento.md): the compliance officer confirms them.
COMPLIANCE_RO_SINGLE_USD = env.str("COMPLIANCE_RO_SINGLE_USD", default="10000.00")
COMPLIANCE_RO_MONTHLY_USD = env.str("COMPLIANCE_RO_MONTHLY_USD", default="50000.00")
COMPLIANCE_ORIGIN_FUNDS_USD = env.str("COMPLIANCE_ORIGIN_FUNDS_USD", default="5000.00")

IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "qoricash.logging.RequestIdFilter"},
        "forbidden_as_info": {"()": "qoricash.logging.ForbiddenAsInfo"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        # One event, one line (tracebacks and user-supplied newlines are escaped); ISO time with offset.
        "line": {
            "()": "qoricash.logging.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
            "filters": ["request_id"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        "django.request": {
            "handlers": ["stdout", "mail_admins"],
            "level": "WARNING",
            "propagate": False,
            "filters": ["forbidden_as_info"],
        },
    },
}

ADMIN_SITE_TITLE = _("QoriCash Trading")

# --- Security: private storage, login rate limiting, sessions, password links (docs/security.md) ---

# Private file storage. Only STORAGES["default"] selects it (DEFAULT_FILE_STORAGE is gone since
# Django 5.1 and would be ignored silently). Every backend keeps files private: nothing is ever
# served from MEDIA_URL, files leave only through qoricash.downloads (permission check + audit).
SIGNED_URL_EXPIRE_SECONDS = env.int("SIGNED_URL_EXPIRE_SECONDS", default=300)
# Every backend's configuration is built whatever STORAGE_BACKEND says, so that migrate_media can copy
# from the current one to another (qoricash.storage.storage_for).
PRIVATE_STORAGES = {
    "local": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "s3": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default="us-east-1"),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=None),
            "file_overwrite": False,
            "default_acl": None,  # bucket default: private; never "public-read"
            "querystring_auth": True,  # every URL is presigned...
            "querystring_expire": SIGNED_URL_EXPIRE_SECONDS,  # ...and expires within minutes
            "signature_version": "s3v4",
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    },
    # Credentials come from CLOUDINARY_URL (read by the SDK when the storage is first used).
    "cloudinary": {
        "BACKEND": "qoricash.storage.PrivateCloudinaryStorage",
        "OPTIONS": {"expire_seconds": SIGNED_URL_EXPIRE_SECONDS},
    },
}
if STORAGE_BACKEND == "s3" and not PRIVATE_STORAGES["s3"]["OPTIONS"]["bucket_name"]:
    raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME.")
STORAGES["default"] = PRIVATE_STORAGES[STORAGE_BACKEND]

# Backups and storage monitoring (docs/backups.md). Storage usage above STORAGE_ALERT_BYTES (20 GB
# of Cloudinary's 25 GB by default) e-mails the Masters and turns the index panel red.
STORAGE_ALERT_BYTES = env.int("STORAGE_ALERT_BYTES", default=20 * 1024**3)
BACKUP_STALE_HOURS = env.int("BACKUP_STALE_HOURS", default=48)

# Client IP: the one trusted place is qoricash.net.client_ip. Render's proxy appends the address it
# saw to X-Forwarded-For, so in production we trust exactly one hop from the right.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0 if DEBUG else 1)

# Login rate limiting (django-ratelimit): per client IP and per username, on the admin login and
# the password-reset form. Blocked attempts get the Spanish 429 page (accounts.views.ratelimited).
INSTALLED_APPS.append("django_ratelimit")
MIDDLEWARE.append("django_ratelimit.middleware.RatelimitMiddleware")

# make bench only: query counts and server time on every response, and Django's bare admin at
# /bare-admin/ for comparison (qoricash/benchmark.py). Never set in production.
BENCH = env.bool("BENCH", default=False)
if BENCH:
    MIDDLEWARE.insert(0, "qoricash.benchmark.QueryCountMiddleware")
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_LOGIN_IP = env.str("RATELIMIT_LOGIN_IP", default="10/m")
RATELIMIT_LOGIN_USER = env.str("RATELIMIT_LOGIN_USER", default="5/m")
RATELIMIT_PASSWORD_RESET = env.str("RATELIMIT_PASSWORD_RESET", default="5/h")
# How long an address that failed for a username stays unable to pass that username's full bucket
# with the right password (accounts.login_limits); a successful login from it clears the record.
RATELIMIT_LOGIN_FAILURE_MEMORY = env.int("RATELIMIT_LOGIN_FAILURE_MEMORY", default=24 * 3600)
# Decided once from the environment: the test runner later switches settings.DEBUG off, which must not
# make the checks treat a test run as production.
RATELIMIT_REQUIRE_SHARED_CACHE = not DEBUG
RATELIMIT_IP_META_KEY = "qoricash.net.client_ip"
RATELIMIT_VIEW = "accounts.views.ratelimited"
RATELIMIT_USE_CACHE = "default"
# django-ratelimit's own check refuses LocMemCache (E003: "not shared") and warns on anything that
# is not memcached/django-redis (W001). Both are handled deliberately instead of blindly:
# - without REDIS_URL the counters live in LocMemCache, which is exact when the whole site is ONE
#   process (one gunicorn worker with threads, as on Render Starter). accounts.checks replaces
#   E003 with a check that fails when WEB_CONCURRENCY > 1 and there is no Redis.
# - Django's own RedisCache implements add() and incr() atomically (SET NX / INCRBY), which is
#   what the library needs; accounts.checks verifies that the cache really is RedisCache.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=1)

# Sessions: 30 minutes idle and 12 hours in all (both configurable, in seconds).
# SESSION_COOKIE_AGE (above, from SESSION_MAX_AGE) is the absolute limit; accounts.middleware
# enforces both on the server side, whatever the browser keeps.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "accounts.middleware.SessionTimeoutMiddleware",
)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Invitation and "forgot my password" links (Django's token machinery): one use, valid 3 days.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

# Rotating SECRET_KEY without logging everybody out: put the previous key here for a day
# (comma-separated), then remove it. See docs/security.md.
# Each old key goes through the same transformation as SECRET_KEY (a Render-generated key is used
# as hex), otherwise signatures made with it would not verify and the rotation would log users out.
SECRET_KEY_FALLBACKS = [check_secret_key(DEBUG, k) for k in env.list("SECRET_KEY_FALLBACKS", default=[])]


# --- Background tasks and large exports (qoricash.background_exports) ---
# django-tasks (the backport of Django 6's tasks framework) with its database backend: the queue is
# a table of ours, run by `manage.py db_worker` (a Render worker, see render.yaml). Tests use the
# immediate backend (conftest.py).
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# An export with more rows than this is built by the worker instead of inside the request: the
# history export writes about 10,000 rows a second here, and a request should answer within seconds.
EXPORT_SYNC_MAX_ROWS = env.int("EXPORT_SYNC_MAX_ROWS", default=20_000)
# Days a background export stays downloadable under "Mis descargas" before it is deleted.
EXPORT_FILE_DAYS = env.int("EXPORT_FILE_DAYS", default=7)
