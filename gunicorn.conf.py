"""gunicorn settings for Render Starter (0.5 CPU, 512 MB RAM). Everything can be tuned by environment.

One process with threads: Django with PostgreSQL spends most of a request waiting on I/O, a second
process would cost about 100 MB more, and one process keeps the login rate limiter exact without
Redis (its counters live in that process). Raise WEB_CONCURRENCY only on a bigger plan, together
with REDIS_URL: the system checks (run by the release `migrate`) fail with several workers and no
Redis, because the rate-limit counters would no longer be shared.
"""

import os


def _int(name, default):
    return int(os.environ.get(name) or default)


bind = f"0.0.0.0:{os.environ.get('PORT') or '8000'}"
workers = _int("WEB_CONCURRENCY", 1)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"

# With gthread workers this is NOT a per-request limit: it only restarts a worker whose main loop
# stopped sending heartbeats; a slow request in one of its threads runs on. Requests are bounded in
# the database instead (DB_STATEMENT_TIMEOUT, qoricash/db.py) and /health/ has its own limit.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)  # Render waits 30 s after SIGTERM
keepalive = 5

# Recycle the worker now and then so a slow leak can never reach the 512 MB ceiling; the jitter
# keeps several workers from restarting at the same moment.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Load the app in the master: a bad configuration (e.g. a weak SECRET_KEY) stops the deploy with
# the reason, instead of workers crashing in a loop. Workers fork with Django already imported.
preload_app = True

# Logs: both to stdout/stderr, one line per request, with the request id the app assigned.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(t)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'

# The heartbeat file on tmpfs, so a slow container disk cannot make gunicorn kill a healthy worker
# (gunicorn creates it with mkstemp and unlinks it at once: a shared directory is fine).
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# No control socket (gunicorn 27 opens one under ~/.gunicorn by default): nothing uses it here.
control_socket_disable = True
