"""Foundation browser test: every demo user logs in through the real form and lands in the Spanish admin.

Screenshots go to test-artifacts/screenshots/ (git-ignored) for a human look at the branding.
"""

import pytest
from playwright.sync_api import expect

from accounts import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAVY = "rgb(11, 37, 69)"  # --qc-navy-800, the header
GOLD = "rgb(227, 168, 43)"  # --qc-gold-500, the rule under it


@pytest.fixture
def demo_users():
    return demo.seed()


@pytest.mark.parametrize(
    ("username", "password", "first_name"),
    [(u, p, first) for u, _role, first, _last, p in demo.DEMO_USERS],
    ids=[u for u, *_ in demo.DEMO_USERS],
)
def test_demo_user_logs_in_and_sees_the_spanish_admin(
    page, live_server, admin_login, screenshot_dir, demo_users, username, password, first_name
):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/admin/login/?next=/admin/")
    expect(page.locator("label[for=id_username]")).to_have_text("Nombre de usuario:")
    expect(page.locator("input[type=submit]")).to_have_value("Iniciar sesión")
    if username == "master":
        page.screenshot(path=screenshot_dir / "login.png")

    admin_login(page, username, password)

    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page).to_have_title("Panel de control | QoriCash Trading")
    expect(page.locator("html")).to_have_attribute("lang", "es-pe")
    expect(page.locator("#site-name")).to_contain_text("QoriCash Trading")
    expect(page.locator("#site-name")).to_contain_text("Gestión interna")
    expect(page.locator("#user-tools")).to_contain_text(first_name)
    expect(page.locator("#logout-form button")).to_have_text("Cerrar sesión")
    expect(page.locator("#content h1")).to_have_text("Panel de control")
    # The brand really is applied (CSS variables loaded, logo served), not just present in the HTML.
    expect(page.locator("#header")).to_have_css("background-color", NAVY)
    expect(page.locator("#header")).to_have_css("border-bottom-color", GOLD)
    assert page.eval_on_selector("img.qc-logo", "img => img.complete && img.naturalWidth") > 0
    page.screenshot(path=screenshot_dir / f"index-{username}.png", full_page=True)


def test_wrong_password_is_refused_in_spanish(page, admin_login, demo_users, screenshot_dir):
    admin_login(page, "operador", "not-the-password")
    expect(page.locator(".errornote")).to_contain_text("Por favor introduzca el nombre de usuario y la clave correctos")
    page.screenshot(path=screenshot_dir / "login-error.png")


def test_unknown_page_shows_the_branded_spanish_404(page, live_server, screenshot_dir):
    response = page.goto(f"{live_server.url}/no-existe/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Página no encontrada")
    expect(page.locator(".qc-button")).to_have_text("Ir a la página de inicio")
    expect(page.locator(".qc-header")).to_have_css("background-color", NAVY)
    page.screenshot(path=screenshot_dir / "error-404.png")
