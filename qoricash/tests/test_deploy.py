"""The deployment files, and one real production-mode boot: collectstatic, gunicorn, HTTP."""

import json
import os
import runpy
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def load_gunicorn_conf(monkeypatch, **env):
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))


def test_gunicorn_defaults_fit_render_starter(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch, PORT="10000")
    assert conf["bind"] == "0.0.0.0:10000"
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (1, 4, "gthread")
    assert conf["accesslog"] == "-" and conf["errorlog"] == "-"
    assert conf["timeout"] == 60 and conf["graceful_timeout"] < 30  # Render's shutdown delay is 30 s
    assert conf["max_requests"] == 1000 and conf["max_requests_jitter"] == 100
    assert "x-request-id" in conf["access_log_format"]


def test_gunicorn_sizing_comes_from_the_environment(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_THREADS="8", GUNICORN_TIMEOUT="120")
    assert (conf["workers"], conf["threads"], conf["timeout"]) == (3, 8, 120)
    assert load_gunicorn_conf(monkeypatch)["bind"] == "0.0.0.0:8000"


def test_procfile():
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    assert "web: gunicorn qoricash.wsgi -c gunicorn.conf.py" in lines
    assert "release: python manage.py migrate --noinput" in lines


def test_render_blueprint():
    yaml = pytest.importorskip("yaml")
    blueprint = yaml.safe_load((BASE_DIR / "render.yaml").read_text())
    (web,) = [s for s in blueprint["services"] if s["type"] == "web"]
    (database,) = blueprint["databases"]
    assert (web["type"], web["runtime"], web["plan"]) == ("web", "python", "starter")
    assert web["healthCheckPath"] == "/health/"
    assert web["startCommand"] == "gunicorn qoricash.wsgi -c gunicorn.conf.py"
    assert "pip install -r requirements.txt" in web["buildCommand"]
    assert "collectstatic --noinput" in web["buildCommand"]
    assert web["preDeployCommand"] == "python manage.py migrate --noinput"
    assert web["region"] == database["region"]
    env = {e["key"]: e for e in web["envVars"]}
    assert env["SECRET_KEY"] == {"key": "SECRET_KEY", "generateValue": True}
    assert env["DEBUG"]["value"] == "false"
    assert env["DATABASE_URL"]["fromDatabase"] == {"name": database["name"], "property": "connectionString"}
    assert env["PYTHON_VERSION"]["value"].startswith("3.11.")
    for secret in ("ALLOWED_HOSTS", "ADMINS", "EMAIL_URL", "CLOUDINARY_URL", "CSRF_TRUSTED_ORIGINS"):
        assert env[secret].get("sync") is False, secret
        assert "value" not in env[secret]


REDIS_FROM_KV = {"type": "keyvalue", "name": "qoricash-kv", "property": "connectionString"}


def test_render_blueprint_keeps_login_counters_in_its_key_value_service():
    yaml = pytest.importorskip("yaml")
    blueprint = yaml.safe_load((BASE_DIR / "render.yaml").read_text())
    (kv,) = [s for s in blueprint["services"] if s["type"] == "keyvalue"]
    (web,) = [s for s in blueprint["services"] if s["type"] == "web"]
    assert (kv["name"], kv["plan"], kv["ipAllowList"]) == ("qoricash-kv", "free", [])
    assert kv["region"] == web["region"]
    env = {e["key"]: e for e in web["envVars"]}
    assert env["REDIS_URL"]["fromService"] == REDIS_FROM_KV


def test_render_cron_jobs_share_the_web_settings():
    yaml = pytest.importorskip("yaml")
    blueprint = yaml.safe_load((BASE_DIR / "render.yaml").read_text())
    (database,) = blueprint["databases"]
    crons = {s["name"]: s for s in blueprint["services"] if s["type"] == "cron"}
    assert crons["qoricash-held-uploads"]["startCommand"] == "python manage.py clean_held_uploads"
    assert crons["qoricash-verify-audit"]["startCommand"] == "python manage.py verify_audit"
    mail = crons["qoricash-mail"]
    assert mail["startCommand"] == "python manage.py send_pending_emails" and mail["schedule"] == "*/5 * * * *"
    mail_env = {e["key"]: e for e in mail["envVars"]}
    for key in ("EMAIL_URL", "DEFAULT_FROM_EMAIL"):
        assert mail_env[key]["fromService"] == {"type": "web", "name": "qoricash", "envVarKey": key}
    for name, cron in crons.items():
        assert cron["startCommand"].startswith("python manage.py "), name
        assert cron["region"] == database["region"] and cron["schedule"], name
        env = {e["key"]: e for e in cron["envVars"]}
        assert env["SECRET_KEY"]["fromService"] == {"type": "web", "name": "qoricash", "envVarKey": "SECRET_KEY"}
        assert env["DATABASE_URL"]["fromDatabase"] == {"name": database["name"], "property": "connectionString"}
        assert env["DEBUG"]["value"] == "false", name
        assert env["REDIS_URL"]["fromService"] == REDIS_FROM_KV, name


def test_render_runs_the_task_worker_and_purges_expired_exports():
    yaml = pytest.importorskip("yaml")
    blueprint = yaml.safe_load((BASE_DIR / "render.yaml").read_text())
    (database,) = blueprint["databases"]
    (worker,) = [s for s in blueprint["services"] if s["type"] == "worker"]
    assert worker["startCommand"].startswith("python manage.py db_worker")
    assert worker["region"] == database["region"]
    env = {e["key"]: e for e in worker["envVars"]}
    assert env["SECRET_KEY"]["fromService"] == {"type": "web", "name": "qoricash", "envVarKey": "SECRET_KEY"}
    assert env["DATABASE_URL"]["fromDatabase"] == {"name": database["name"], "property": "connectionString"}
    assert env["REDIS_URL"]["fromService"] == REDIS_FROM_KV
    for secret in ("EMAIL_URL", "CLOUDINARY_URL"):  # it stores files and sends e-mail
        assert env[secret].get("sync") is False, secret
    crons = {s["name"]: s for s in blueprint["services"] if s["type"] == "cron"}
    assert crons["qoricash-expired-exports"]["startCommand"] == "python manage.py purge_expired_exports"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url, **headers):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Host": "app.qoricash.pe", **headers})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_production_boot_with_gunicorn_and_whitenoise(tmp_path):
    """What Render does: build (collectstatic), then start gunicorn from the Procfile/blueprint line."""
    port = free_port()
    env = {
        "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(45),
        "ALLOWED_HOSTS": "app.qoricash.pe",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "PORT": str(port),
        "APP_VERSION": "abc1234",
        "GUNICORN_THREADS": "2",
        # Production refuses to start without a shared cache; the boot itself never connects to it.
        "REDIS_URL": "redis://127.0.0.1:6379/7",
    }
    build = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    css = manifest["qoricash/css/admin.css"]
    assert css != "qoricash/css/admin.css"  # hashed name, cacheable for a year

    log = (tmp_path / "gunicorn.log").open("w+")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "qoricash.wsgi", "-c", "gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                status, _headers, body = fetch(f"{base}/health/")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer")
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "ok", "version": "abc1234"}

        status, headers, _ = fetch(f"{base}/admin/login/")
        assert status == 301 and headers["Location"] == "https://app.qoricash.pe/admin/login/"

        status, headers, body = fetch(f"{base}/admin/login/", **{"X-Forwarded-Proto": "https"})
        assert status == 200
        assert f"/static/{css}".encode() in body
        assert "Iniciar sesión".encode() in body
        assert "preload" in headers["Strict-Transport-Security"]

        status, headers, _ = fetch(f"{base}/static/{css}", **{"X-Forwarded-Proto": "https"})
        assert status == 200
        assert "immutable" in headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    with log:
        log.seek(0)
        lines = log.read().splitlines()
    access = [line for line in lines if '"GET /health/ HTTP/1.0"' in line or '"GET /health/ HTTP/1.1"' in line]
    assert access, lines
    assert "rid=" in access[0] and "rid=-" not in access[0]  # the app's request id is in the access log
