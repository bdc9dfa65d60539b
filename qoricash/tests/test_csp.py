"""The Content-Security-Policy header: on every response, with the directives docs/security.md lists.
tests/browser/test_csp.py checks that the pages really work under it."""

import re
from pathlib import Path

import pytest
from django.conf import settings

EXPECTED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'", "'unsafe-inline'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def _policy(response):
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/operations/operation/", "/admin/reports/position/", "/admin/no-such-page/"]
)
def test_admin_pages_carry_the_policy(master_client, url):
    response = master_client.get(url)
    assert _policy(response) == EXPECTED


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/login/", "/accounts/password_reset/", "/health/", "/admin/?q=%00"])
def test_pages_without_a_session_and_errors_carry_it_too(client, url):
    assert _policy(client.get(url)) == EXPECTED


def test_no_script_may_run_inline():
    script = _policy_of_settings()["script-src"]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script


def _policy_of_settings():
    return {k: set(v) for k, v in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()}


ROOT = Path(settings.BASE_DIR)
TEMPLATES = [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=|javascript:", re.IGNORECASE)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_of_ours_writes_inline_script(path):
    html = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(html), "move the script to a static file; pass data by data-* attributes"
    assert not HANDLER.search(html), "an inline event handler: bind it from a static file instead"
