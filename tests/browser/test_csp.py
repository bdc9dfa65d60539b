"""The pages the desk uses work under the Content-Security-Policy: Chromium reports no violation (in
the console or as a `securitypolicyviolation` event) and no script error, over the demo data, as the
Master. The screenshots (test-artifacts/screenshots/csp-*.png) show them still styled."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts import demo as accounts_demo
from clients.models import Client
from operations.models import Operation, OperationStatus
from qoricash.outbox.models import OutboundEmail
from qoricash.outbox.queue import enqueue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MASTER, MASTER_PASSWORD = next((u, p) for u, _role, _f, _l, p in accounts_demo.DEMO_USERS if u == "master")
NAVY = "rgb(11, 37, 69)"  # the header's colour: admin.css was applied

# Every violation the page reports to itself, kept across the page's life; read after each visit.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


@pytest.fixture
def demo_data(settings, tmp_path):
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False  # the policy as production sends it (django-csp skips DEBUG error pages)


@pytest.fixture
def watched(page):
    """The page, with everything the browser says about the policy or a script collected."""
    problems = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if "Content Security Policy" in msg.text else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))

    def check(where):
        violations = page.evaluate("() => window.__cspViolations || []")
        problems.extend(f"{where}: {v}" for v in violations)
        page.evaluate("() => { window.__cspViolations = []; }")

    page.problems = problems
    page.check_policy = check
    return page


def visit(page, url, name, screenshot_dir):
    response = page.goto(url)
    assert response.status == 200, f"{url}: {response.status}"
    assert "script-src 'self';" in response.headers["content-security-policy"] + ";"
    page.wait_for_load_state("networkidle")
    expect(page.locator("#header")).to_have_css("background-color", NAVY)
    page.screenshot(path=str(screenshot_dir / f"csp-{name}.png"), full_page=True)
    page.check_policy(url)


def test_the_desk_pages_run_under_the_policy(live_server, watched, admin_login, demo_data, screenshot_dir):
    page = watched
    base = live_server.url
    pending = Operation.objects.filter(status=OperationStatus.PENDING).order_by("pk").first()
    client = Client.objects.order_by("pk").first()
    email = OutboundEmail.objects.exclude(body_html="").filter(confidential=False).order_by("pk").first() or enqueue(
        "test", to="ana@example.pe", subject="Prueba", html="<p style='color:#366092'>Hola</p>", deliver=False
    )

    page.goto(f"{base}/admin/login/")
    page.check_policy("login")
    page.goto(f"{base}/accounts/password_reset/")
    page.check_policy("password reset")
    admin_login(page, MASTER, MASTER_PASSWORD)

    visit(page, f"{base}/admin/", "index", screenshot_dir)
    # The live panels refresh themselves (live.js): one refresh must be allowed too.
    page.evaluate("() => fetch('/admin/panels/').then((r) => r.status)")
    page.check_policy("panels")

    visit(page, f"{base}/admin/operations/operation/", "operations", screenshot_dir)
    visit(page, f"{base}/admin/clients/client/", "clients", screenshot_dir)
    page.locator("#action-toggle").check()  # the list's actions (actions.js)
    expect(page.locator(".actions .action-counter")).to_contain_text("seleccionados")
    page.check_policy("actions")

    visit(page, f"{base}/admin/operations/operation/{pending.pk}/change/", "operation", screenshot_dir)
    link = page.locator("#deposits-group .add-row a")
    rows_before = page.locator("#deposits-group tr.form-row").count()
    link.click()
    assert page.locator("#deposits-group tr.form-row").count() == rows_before + 1
    page.check_policy("add deposit")
    visit(page, f"{base}/admin/operations/operation/{pending.pk}/history/", "operation-history", screenshot_dir)

    visit(page, f"{base}/admin/operations/operation/add/", "operation-add", screenshot_dir)
    page.click(".field-client .select2-selection")  # autocomplete (select2 and the admin's JSON view)
    page.fill(".select2-search__field", client.document_number[:4])
    expect(page.locator(".select2-results__option").first).to_be_visible()
    page.check_policy("autocomplete")

    visit(page, f"{base}/admin/clients/client/{client.pk}/change/", "client", screenshot_dir)
    visit(page, f"{base}/admin/accounts/auditentry/", "audit-date-hierarchy", screenshot_dir)
    visit(page, f"{base}/admin/reports/position/", "position", screenshot_dir)
    visit(page, f"{base}/admin/operations/treasury/", "treasury", screenshot_dir)
    visit(page, f"{base}/admin/reports/uif-register/", "uif-register", screenshot_dir)
    visit(page, f"{base}/admin/my-downloads/", "my-downloads", screenshot_dir)
    visit(page, f"{base}/admin/clients/client/import/", "import", screenshot_dir)
    visit(page, f"{base}/admin/clients/client/export/", "export", screenshot_dir)

    visit(page, f"{base}/admin/qoricash/outboundemail/{email.pk}/change/", "outbox", screenshot_dir)
    # The message itself, in its sandboxed frame: rendered, with its own inline styles.
    frame = page.frame_locator("iframe[sandbox]")
    expect(frame.locator("body")).not_to_be_empty()
    page.check_policy("outbox message")

    assert page.problems == [], "\n".join(page.problems)
