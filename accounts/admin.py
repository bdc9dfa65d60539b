"""Admin for users, groups (roles) and the audit trail, plus the private-file download route."""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count
from django.urls import URLPattern
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from accounts import audit, audit_display, services
from accounts.forms import UserEditForm, UserInviteForm
from accounts.models import AuditEntry, User
from qoricash import display
from qoricash.paginator import EstimatedCountPaginator


def _base_url(request):
    return f"{request.scheme}://{request.get_host()}"


_DEFAULT_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission):
    """Spanish label for a permission: Django stores default names in English at migrate time."""
    model = permission.content_type.model_class()
    model_name = model._meta.verbose_name if model else permission.content_type.model
    app = model._meta.app_config.verbose_name if model else permission.content_type.app_label
    action, _sep, rest = permission.codename.partition("_")
    if action in _DEFAULT_ACTIONS and model and rest == model._meta.model_name:
        text = _DEFAULT_ACTIONS[action] % {"model": model_name}
    else:
        text = gettext(permission.name)
    return f"{app} | {text}"


# Permissions that mean nothing to the business or would break its guarantees if granted: sessions,
# content types, Django's own admin log, our internal bookkeeping, and writing the audit trail.
HIDDEN_PERMISSION_APPS = ("sessions", "contenttypes", "admin")
HIDDEN_PERMISSION_MODELS = ("codecounter", "rolegrant")
HIDDEN_PERMISSIONS = ("add_auditentry", "change_auditentry", "delete_auditentry")


def grantable_permissions(queryset):
    return (
        queryset.exclude(content_type__app_label__in=HIDDEN_PERMISSION_APPS)
        .exclude(content_type__model__in=HIDDEN_PERMISSION_MODELS)
        .exclude(codename__in=HIDDEN_PERMISSIONS)
    )


class SpanishPermissionsMixin:
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions") and field is not None:
            field.queryset = grantable_permissions(field.queryset)
            field.label_from_instance = permission_label
        return field


@admin.register(User)
class UserAdmin(SpanishPermissionsMixin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserInviteForm
    list_display = ("username", "full_name", "email", "roles", "is_active", "last_login")
    list_filter = ("is_active", "groups")
    search_fields = ("username", "first_name", "last_name", "email", "dni")
    ordering = ("username",)
    readonly_fields = ("last_login", "date_joined", "password_status")
    filter_horizontal = ("groups", "user_permissions")
    actions = ["send_invitation", "deactivate"]
    add_fieldsets = ((None, {"fields": ("username", "first_name", "last_name", "email", "dni", "role")}),)
    fieldsets = (
        (None, {"fields": ("username", "password_status")}),
        (_("Personal data"), {"fields": ("first_name", "last_name", "email", "dni")}),
        (_("Role and access"), {"fields": ("groups", "is_active")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    superuser_fieldsets = ((_("Superuser only"), {"fields": ("is_staff", "is_superuser", "user_permissions")}),)

    @admin.display(description=_("name"))
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(g.name for g in obj.groups.all())

    @admin.display(description=_("password"))
    def password_status(self, obj):
        if obj.has_usable_password():
            return _("Set by the user (nobody else knows it).")
        return _("Not chosen yet: the user must open the link of the invitation e-mail.")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if request.user.is_superuser:
            return self.fieldsets + self.superuser_fieldsets
        return self.fieldsets

    def get_urls(self):
        # No "set another user's password" page: passwords are chosen only by their owner, from
        # the e-mailed one-time link (invitation or "forgot my password").
        return [
            u
            for u in super().get_urls()
            if not (isinstance(u, URLPattern) and u.name and u.name.endswith("_password_change"))
        ]

    def save_model(self, request, obj, form, change):
        if change:
            if obj.pk == request.user.pk and not obj.is_active:
                obj.is_active = True
                messages.warning(request, _("You cannot deactivate your own user."))
            super().save_model(request, obj, form, change)
            return
        services.invite_user(obj, form.cleaned_data["role"], _base_url(request))
        messages.info(request, _("The invitation to choose a password was sent to %(email)s.") % {"email": obj.email})

    def has_change_permission(self, request, obj=None):
        if obj is not None and not services.can_manage_user(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the user's history stays attributable

    @admin.action(description=_("Send the invitation / password link again"), permissions=["change"])
    def send_invitation(self, request, queryset):
        users = [u for u in queryset.filter(is_active=True) if services.can_manage_user(request.user, u)]
        sent = sum(1 for user in users if services.send_invitation(user, _base_url(request)))
        self.message_user(request, _("Links sent: %(n)s.") % {"n": sent}, messages.SUCCESS)

    @admin.action(description=_("Deactivate the selected users"), permissions=["change"])
    def deactivate(self, request, queryset):
        count = 0
        for user in queryset.exclude(pk=request.user.pk):
            if user.is_active and services.can_manage_user(request.user, user):
                services.deactivate_user(user)
                count += 1
        self.message_user(request, _("Users deactivated: %(n)s.") % {"n": count}, messages.SUCCESS)


admin.site.unregister(Group)

# The task queue (django-tasks' database backend) is machinery, not a page for staff: each user
# follows their own background exports under "Mis descargas".
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(Group)
class GroupAdmin(SpanishPermissionsMixin, DjangoGroupAdmin):
    list_display = ("name", "member_count", "permission_count")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_users=Count("user", distinct=True),
                n_permissions=Count("permissions", distinct=True),
            )
        )

    @admin.display(description=_("users"), ordering="n_users")
    def member_count(self, obj):
        return obj.n_users

    @admin.display(description=_("permissions"), ordering="n_permissions")
    def permission_count(self, obj):
        return obj.n_permissions

    def has_delete_permission(self, request, obj=None):
        return False  # a role in use must not vanish; remove its permissions instead


# The trail grows by millions of entries: the sidebar's choices come from the code's registries and
# the users table, never from a DISTINCT over the entries (a scan of the whole table on every visit).
class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        # Every registered action under its current code; old entries stored with a legacy code are
        # found through it (audit.codes_for).
        return audit.action_choices()

    def queryset(self, request, queryset):
        return queryset.filter(action__in=audit.codes_for(self.value())) if self.value() else queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    title = _("object type")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        return audit.type_choices()

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


class ActorFilter(admin.RelatedFieldListFilter):
    """Every user, active or not (a deactivated user's past stays findable), by name."""

    def field_choices(self, field, request, model_admin):
        users = User.objects.only("username", "first_name", "last_name").order_by("first_name", "last_name", "username")
        return [(user.pk, str(user)) for user in users]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everybody, superusers included: the trail is append-only (and on PostgreSQL a
    trigger refuses UPDATE and DELETE on the table)."""

    list_display = ("at_display", "actor_display", "action_display", "object_type_display", "object_display", "ip")
    list_filter = (ActionFilter, ObjectTypeFilter, ("actor", ActorFilter), "at")
    # What AuditEntry.objects.search compares ("=": the whole value), for the search box and its help;
    # get_search_results below runs the search itself.
    search_fields = ("actor_username", "object_repr", "message", "=object_id", "=ip", "=request_id")
    search_help_text = _(
        "Search by username, object or detail (any part of them), or by a whole object id, IP or request id; "
        "capitals do not matter."
    )
    # Kept for its drill-down by year, month and day (and the URLs people saved), but Django's own
    # links read SELECT DISTINCT date_trunc(...) over the filtered entries: on the trail that is every
    # entry, or a year's worth. This model's change_list.html draws them from the calendar instead
    # (qoricash/templatetags/calendar_hierarchy.py): one MIN/MAX over the "at" index, whatever the size.
    date_hierarchy = "at"
    list_select_related = ("actor",)
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # Django's "Show counts" would count every choice of every filter over the whole trail.
    show_facets = admin.ShowFacets.NEVER
    fields = (
        "at",
        "actor_display",
        "action_display",
        "object_type_display",
        "object_id",
        "object_display",
        "changes_table",
        "message",
        "ip",
        "user_agent",
        "request_id",
    )
    readonly_fields = fields

    @admin.display(description=_("when"), ordering="at")
    def at_display(self, obj):
        return display.datetime(obj.at, seconds=True)

    @admin.display(description=_("user"), ordering="actor_username")
    def actor_display(self, obj):
        if obj.actor is not None:
            return obj.actor.display_name
        return obj.actor_username or _("(system or anonymous)")

    @admin.display(description=_("object"), ordering="object_repr")
    def object_display(self, obj):
        return audit_display.object_label(obj)

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, obj):
        return audit.action_label(obj.action)

    @admin.display(description=_("object type"), ordering="object_type")
    def object_type_display(self, obj):
        return audit.type_label(obj.object_type)

    @admin.display(description=_("changes"))
    def changes_table(self, obj):
        if not obj.changes:
            return "—"
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", audit_display.change_rows(obj.object_type, obj.changes)
        )
        return format_html(
            '<table class="audit-changes"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("field"),
            _("before"),
            _("after"),
            rows,
        )

    def get_search_results(self, request, queryset, search_term):
        return queryset.search(search_term, page_size=self.list_per_page), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from accounts import outbox_admin  # noqa: E402,F401  (registers the outbox's admin)
