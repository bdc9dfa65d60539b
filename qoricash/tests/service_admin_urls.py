"""URLconf for the ServiceAdminMixin tests: a small admin site whose group admin saves through a fake
service (groups and their member rows make a form with an inline)."""

from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import path

from accounts.models import User
from qoricash.admin_services import ServiceAdminMixin


class FakeService:
    """What the admin calls: refuses with `refusal` when set, else saves the group and its rows."""

    refusal = None
    calls = []

    @classmethod
    def save_group(cls, group, rows, *, by):
        cls.calls.append((group.name, by.username))
        if cls.refusal is not None:
            raise cls.refusal
        if not group.name.strip():
            raise ValidationError({"name": "El nombre no puede estar en blanco."})
        group.save()
        for row in rows:
            row.group = group
            row.save()
        return group


class MemberInline(admin.TabularInline):
    model = User.groups.through
    extra = 1


class GroupServiceAdmin(ServiceAdminMixin, admin.ModelAdmin):
    fields = ("name",)
    inlines = [MemberInline]

    def save_via_service(self, request, form, formsets, change):
        rows = [f.instance for fs in formsets for f in fs.forms if f.has_changed() and f.is_valid()]
        return FakeService.save_group(form.instance, rows, by=request.user)


site = admin.AdminSite(name="service_admin")
site.register(Group, GroupServiceAdmin)

urlpatterns = [path("svc/", site.urls)]
