"""ServiceAdminMixin: a refused save shows the service's errors on the form, keeps the input, saves nothing."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from qoricash.tests.service_admin_urls import FakeService

pytestmark = [pytest.mark.django_db, pytest.mark.urls("qoricash.tests.service_admin_urls")]

ADD = "/svc/auth/group/add/"


@pytest.fixture(autouse=True)
def _fresh_service():
    FakeService.refusal = None
    FakeService.calls = []
    yield
    FakeService.refusal = None


def _post(name, member=None, prefix="User_groups"):
    data = {
        "name": name,
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-user": str(member.pk) if member else "",
    }
    return data


def test_accepted_save_goes_through_the_service_once(admin_client):
    member = UserFactory()
    response = admin_client.post(ADD, _post("Caja", member))
    assert response.status_code == 302
    group = Group.objects.get(name="Caja")
    assert list(group.user_set.all()) == [member]
    assert FakeService.calls == [("Caja", "admin")]


def test_field_error_lands_on_its_field_and_keeps_input(admin_client):
    member = UserFactory()
    FakeService.refusal = ValidationError({"name": "Ese nombre ya lo usa otro rol."})
    response = admin_client.post(ADD, _post("Caja", member))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["name"] == ["Ese nombre ya lo usa otro rol."]
    assert not form.non_field_errors()
    assert form["name"].value() == "Caja"
    inline_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert inline_form["user"].value() == str(member.pk)
    assert not Group.objects.filter(name="Caja").exists()


def test_unknown_field_and_plain_errors_go_on_top(admin_client):
    FakeService.refusal = ValidationError({"permissions": "Falta un permiso.", "__all__": "No se puede hoy."})
    response = admin_client.post(ADD, _post("Caja"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.non_field_errors()) == {"Falta un permiso.", "No se puede hoy."}
    assert "Falta un permiso." in response.content.decode()


def test_permission_denied_is_a_message_on_top_not_a_403(admin_client):
    FakeService.refusal = PermissionDenied("No puede crear roles.")
    response = admin_client.post(ADD, _post("Caja"))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == ["No puede crear roles."]
    assert not Group.objects.filter(name="Caja").exists()


def test_row_error_lands_on_the_inline_row(admin_client):
    member = UserFactory()
    FakeService.refusal = ValidationError({"User_groups-0-user": "Este usuario está inactivo."})
    response = admin_client.post(ADD, _post("Caja", member))
    assert response.status_code == 200
    assert not response.context["adminform"].form.errors
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert row.errors["user"] == ["Este usuario está inactivo."]
    assert not Group.objects.filter(name="Caja").exists()


def test_change_view_refusal_keeps_input_and_changes_nothing(admin_client):
    group = Group.objects.create(name="Caja")
    FakeService.refusal = ValidationError("El rol está en uso.")
    response = admin_client.post(f"/svc/auth/group/{group.pk}/change/", _post("Tesorería"))
    assert response.status_code == 200
    assert response.context["adminform"].form["name"].value() == "Tesorería"
    assert response.context["adminform"].form.non_field_errors() == ["El rol está en uso."]
    group.refresh_from_db()
    assert group.name == "Caja"


def test_refusal_rolls_back_what_the_service_wrote_before_refusing(admin_client, monkeypatch):
    def write_then_refuse(group, rows, *, by):
        group.save()
        raise ValidationError("No.")

    monkeypatch.setattr(FakeService, "save_group", write_then_refuse)
    before = AuditEntry.objects.count()
    response = admin_client.post(ADD, _post("Caja"))
    assert response.status_code == 200
    assert not Group.objects.filter(name="Caja").exists()
    assert AuditEntry.objects.count() == before
