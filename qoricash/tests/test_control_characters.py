"""A NUL or another control character anywhere in a request is a 400 with the Spanish page, before
any view runs: PostgreSQL refuses NUL in text, which used to be a 500 (and an e-mail to ADMINS)."""

import pytest
from django.core import mail

NUL_CORPUS = [
    "/admin/clients/client/?status__exact=%00",
    "/admin/operations/operation/?status__exact=%00",
    "/admin/reports/history.xlsx?status__exact=%00",
    "/admin/accounts/auditentry/?action=%00",
    "/admin/autocomplete/?term=%00abc&app_label=operations&model_name=operation&field_name=client",
    "/admin/clients/client/?q=ana%00",
    "/admin/clients/client/?%00=1",
    "/admin/clients/client/?q=%1b%5b31m",
    "/admin/clients/client/?q=%7f",
    "/admin/clients/client/%00/change/",
    "/admin/clients/client/1%0a/change/",
]


def _is_spanish_400(response):
    return response.status_code == 400 and "Solicitud incorrecta" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", NUL_CORPUS)
def test_control_characters_in_path_or_query_are_a_spanish_400(master_client, url, settings):
    settings.ADMINS = [("Ops", "ops@example.pe")]
    response = master_client.get(url)
    assert _is_spanish_400(response)
    assert mail.outbox == []


@pytest.mark.django_db
def test_anonymous_requests_are_refused_the_same_way(client):
    assert _is_spanish_400(client.get("/health/?x=%00"))
    assert _is_spanish_400(client.post("/admin/login/", {"username": "ana\x00", "password": "x" * 12}))


@pytest.mark.django_db
def test_control_characters_in_form_fields_are_refused_multipart_too(master_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from clients.models import Client

    response = master_client.post("/admin/clients/client/add/", {"first_name": "Ana\x00", "last_name": "x"})
    assert _is_spanish_400(response)
    upload = SimpleUploadedFile("dni.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    assert _is_spanish_400(master_client.post("/admin/clients/client/add/", {"file": upload, "notes": "a\x00"}))
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_tabs_and_line_breaks_in_form_fields_are_ordinary_text(client):
    response = client.post("/admin/login/", {"username": "ana\r\nperez\t", "password": "x" * 12})
    assert response.status_code == 200  # the login form with its own error, not a 400


def test_middleware_runs_before_the_session_and_any_view(settings):
    order = settings.MIDDLEWARE
    refuse = order.index("qoricash.middleware.RejectControlCharactersMiddleware")
    assert refuse < order.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert refuse < order.index("django.contrib.auth.middleware.AuthenticationMiddleware")
