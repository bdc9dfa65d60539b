"""Root redirect, the Spanish login page, the branded index with its panels, and the error pages."""

from pathlib import Path

import pytest
from django.contrib import admin
from django.test import RequestFactory

from qoricash import views

BASE_DIR = Path(__file__).resolve().parents[2]


def test_root_redirects_to_the_admin(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_admin_asks_anonymous_users_to_log_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_login_page_is_spanish_and_branded(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es-pe"' in html
    for text in ("Nombre de usuario", "Contraseña", "Iniciar sesión", "QoriCash Trading", "Gestión interna"):
        assert text in html, text
    assert "Acceso exclusivo para personal autorizado de QoriCash." in html
    assert "qoricash/css/admin.css" in html
    assert "qoricash/img/logo.svg" in html
    assert "Django" not in html.split("<body")[1]  # no "Django administration" left anywhere visible


@pytest.mark.django_db
def test_index_is_spanish_and_has_no_view_site_link(master_client):
    html = master_client.get("/admin/").content.decode()
    assert "<title>Panel de control | QoriCash Trading</title>" in html
    assert "Cerrar sesión" in html
    assert "Ver el sitio" not in html


@pytest.fixture
def panels(settings):
    """Register throwaway panels on the real admin site; restore the site's list afterwards."""
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {"test/panel.html": '<h2>{{ ctx.title }}</h2><p class="qc-panel-body">{{ ctx.body }}</p>'},
                    ),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]
    saved = list(admin.site._panels)
    admin.site._panels[:] = []  # only this test's panels (the apps register their own)
    yield admin.site
    admin.site._panels[:] = saved


@pytest.mark.django_db
def test_index_renders_registered_panels_in_order_above_the_app_list(master_client, panels):
    panels.register_panel("test/panel.html", lambda request: {"title": "Segundo", "body": "b"}, order=20)
    panels.register_panel("test/panel.html", lambda request: {"title": "Primero", "body": "a"}, order=10)
    panels.register_panel("test/panel.html", lambda request: None, order=15)  # hidden for this user
    panels.register_panel(
        "test/panel.html", lambda request: {"title": f"Hola {request.user.username}", "body": "c"}, order=30
    )
    html = master_client.get("/admin/").content.decode()
    assert html.count('<section class="qc-panel" data-panel="test/panel.html" data-live>') == 3
    first, second, third = html.index("Primero"), html.index("Segundo"), html.index("Hola m_master")
    assert first < second < third
    assert third < html.index('class="app-auth module')  # panels come before the app list


@pytest.mark.django_db
def test_index_without_panels_hides_the_panel_grid(master_client, panels):
    # The grid stays (hidden) so the 30-second refresh can show a panel that appears later.
    html = master_client.get("/admin/").content.decode()
    assert 'data-refresh-seconds="30" hidden>' in html and '<section class="qc-panel"' not in html


def test_inline_logo_matches_the_static_logo():
    """Error pages inline the logo (no static files on a 500); both copies must stay the same drawing."""
    inline = (BASE_DIR / "templates/qoricash/logo.svg").read_text()
    static = (BASE_DIR / "static/qoricash/img/logo.svg").read_text()
    assert inline == static


# --- error pages ---------------------------------------------------------------------------------

ERRORS = {
    400: ("Solicitud incorrecta", "Revise los datos enviados"),
    403: ("Acceso denegado", "No tiene permiso para ver esta página"),
    404: ("Página no encontrada", "La página que busca no existe"),
    429: ("Demasiados intentos", "Espere e inténtelo de nuevo"),
    500: ("Error del servidor", "el equipo técnico ya fue notificado"),
}


@pytest.fixture
def production_errors(settings, client):
    settings.DEBUG = False
    settings.TRUSTED_PROXY_COUNT = 1  # the support reference below is the proxy's request id
    settings.ROOT_URLCONF = "qoricash.tests.error_urls"
    client.raise_request_exception = False
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("status", ERRORS)
def test_error_pages_are_spanish_and_branded(production_errors, status):
    response = production_errors.get(f"/fail/{status}/", HTTP_X_REQUEST_ID="ef123abc00000000")
    assert response.status_code == status
    html = response.content.decode()
    heading, sentence = ERRORS[status]
    assert f"<h1>{heading}</h1>" in html
    assert sentence in html
    assert f"Error {status}" in html
    assert "QoriCash Trading" in html and "<svg" in html  # inline logo, no static file needed
    assert "Referencia para soporte: ef123abc00000000" in html
    assert '<html lang="es-pe">' in html


@pytest.mark.django_db
def test_unknown_url_gets_the_spanish_404(production_errors):
    response = production_errors.get("/no-such-page/")
    assert response.status_code == 404
    assert "Página no encontrada" in response.content.decode()


@pytest.mark.django_db
def test_500_renders_even_when_a_context_processor_fails(production_errors, settings):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": ["qoricash.tests.error_urls.broken_context_processor"],
            },
        }
    ]
    response = production_errors.get("/fail/500/")
    assert response.status_code == 500
    assert "Error del servidor" in response.content.decode()


def test_500_page_needs_no_database():
    """No `db` fixture: any query while rendering would raise "Database access not allowed"."""
    response = views.error_500(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Error del servidor" in response.content.decode()


@pytest.mark.django_db
def test_csrf_failure_page_is_spanish(client, settings):
    settings.DEBUG = False
    client.handler.enforce_csrf_checks = True
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "El formulario caducó" in response.content.decode()
