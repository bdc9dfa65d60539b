"""The clients back-office in the admin: list, registration, review, portfolios, import/export.

Presentation only: scoping comes from `Client.objects.visible_to`, every change goes through
`clients.services`, and what a user may edit is derived from permissions, never group names.
"""

import logging
import tempfile

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_noop, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ExportForm
from import_export.results import RowResult
from import_export.signals import post_export

from clients import policy, services
from clients.exports import write_clients_xlsx
from clients.forms import (
    BankAccountInlineForm,
    BankAccountInlineFormSet,
    ClientAdminForm,
    ClientDocumentUploadForm,
    ClientImportForm,
    PortfolioReassignForm,
    ReassignForm,
)
from clients.models import (
    BankAccount,
    Client,
    ClientDocument,
    ClientReassignment,
    ClientStatus,
    client_search_filter,
)
from clients.resources import PREVIEW_ROWS, ClientResource, SpreadsheetCSV, StyledXLSX
from qoricash import background_exports, display
from qoricash import context as request_context
from qoricash.admin_services import ServiceAdminMixin
from qoricash.downloads import private_file_link
from qoricash.paginator import EstimatedCountPaginator

logger = logging.getLogger(__name__)

REVIEW = "review"
DEACTIVATED = "deactivated"

# django-import-export adds this one to the form itself with no hook to replace it; it has no Spanish
# translation of its own, so the clients catalogue carries one (see clients/locale).
gettext_noop("No valid data to import. Ensure your file has the correct headers or data for import.")


def error_text(exc):
    """One readable Spanish line out of a ValidationError / PermissionDenied."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or str(_("You are not allowed to do this."))


def user_link(user):
    """A staff member as `str(user)` (name and username: two people may share a name), linked to its
    page only for whoever may open it (accounts.view_user).

    A link to the user admin would be a 403 for most staff. Read-only admin fields get only the
    object, so the viewer comes from the request context (qoricash.context, set by the middleware);
    without one, plain text.
    """
    if user is None:
        return display.EMPTY
    viewer = request_context.get().user
    if viewer is None or not getattr(viewer, "is_authenticated", False) or not viewer.has_perm("accounts.view_user"):
        return str(user)
    return format_html('<a href="{}">{}</a>', reverse("admin:accounts_user_change", args=[user.pk]), user)


# --- Inlines ------------------------------------------------------------------------------------
class BankAccountInline(admin.TabularInline):
    model = BankAccount
    form = BankAccountInlineForm
    formset = BankAccountInlineFormSet
    fields = ("bank", "account_type", "currency", "number", "cci", "location", "is_active")
    can_delete = False  # accounts are deactivated ("activa" unchecked), never deleted
    min_num = 0
    max_num = 12
    verbose_name = _("bank account")
    verbose_name_plural = _(
        "bank accounts (2 to 6 active, at least one PEN and one USD; CCI required for BBVA and Scotiabank)"
    )

    def get_extra(self, request, obj=None, **kwargs):
        return 2 if obj is None else 1

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = type("BankAccountInlineForm", (self.form,), {"user": request.user})
        return super().get_formset(request, obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False


class ClientDocumentInline(admin.TabularInline):
    """Documents on file: kind, name (a link to the permission-checked download view) and size."""

    model = ClientDocument
    fields = ("kind", "download", "file_size", "uploaded_by_name", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("document on file")
    verbose_name_plural = _("documents on file")

    @admin.display(description=_("file"))
    def download(self, obj):
        # Never obj.file.url: files leave only through qoricash.downloads (permission, portfolio, audit).
        return private_file_link(obj)

    @admin.display(description=_("size"))
    def file_size(self, obj):
        return display.filesize(obj.size)

    @admin.display(description=_("uploaded by"))
    def uploaded_by_name(self, obj):
        return user_link(obj.uploaded_by)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).select_related("uploaded_by")


class ClientDocumentUploadInline(admin.TabularInline):
    """New uploads: PDF, JPEG or PNG by content, at most 10 MB (qoricash.files.validate_upload)."""

    model = ClientDocument
    form = ClientDocumentUploadForm
    fields = ("kind", "file")
    extra = 1
    can_delete = False
    verbose_name = _("new document")
    verbose_name_plural = _("upload documents (PDF, JPEG or PNG, at most 10 MB)")

    def get_queryset(self, request):
        return super().get_queryset(request).none()  # only new rows; the files on record are above

    def has_delete_permission(self, request, obj=None):
        return False


class ClientReassignmentInline(admin.TabularInline):
    model = ClientReassignment
    fk_name = "client"
    fields = ("at", "from_name", "to_name", "by_name")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("reassignment history")
    # The row already says it all; clients_admin.css hides the row label Django repeats above it.
    classes = ("client-history",)

    @admin.display(description=_("from"))
    def from_name(self, obj):
        return user_link(obj.from_owner)

    @admin.display(description=_("to"))
    def to_name(self, obj):
        return user_link(obj.to_owner)

    @admin.display(description=_("by"))
    def by_name(self, obj):
        return user_link(obj.by)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("from_owner", "to_owner", "by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Filters ------------------------------------------------------------------------------------
class StatusFilter(admin.SimpleListFilter):
    """Activo, or Inactivo split by why: new clients waiting for their review, or deactivated ones."""

    title = _("status")
    parameter_name = "status__exact"  # the field filter's parameter: saved links keep working

    def lookups(self, request, model_admin):
        return [
            (ClientStatus.ACTIVE, ClientStatus.ACTIVE.label),
            (REVIEW, _("To review (never activated)")),
            (DEACTIVATED, _("Deactivated")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == REVIEW:
            return queryset.awaiting_review()
        if value == DEACTIVATED:
            return queryset.deactivated()
        if value in ClientStatus.values:
            return queryset.filter(status=value)
        return queryset


class RegisterDataFilter(admin.SimpleListFilter):
    """Clients lacking what the operations register (UIF) needs (Client.compliance_gaps)."""

    title = _("compliance data")
    parameter_name = "register_data"

    def lookups(self, request, model_admin):
        return [
            ("missing", pgettext_lazy("compliance data", "To complete")),
            ("complete", pgettext_lazy("compliance data", "Complete")),
        ]

    def queryset(self, request, queryset):
        missing = Client.objects.missing_compliance_data().values("pk")
        if self.value() == "missing":
            return queryset.filter(pk__in=missing)
        if self.value() == "complete":
            return queryset.exclude(pk__in=missing)
        return queryset


class OwnerFilter(admin.SimpleListFilter):
    title = _("account executive")
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [(u.pk, str(u)) for u in Client.objects.owners()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(owner_id=self.value())
        return queryset


# --- Client admin -------------------------------------------------------------------------------
# Read-only on the change page; the users are shown through user_display (a plain name unless the
# viewer may open the user admin).
SYSTEM_FIELDS = ("owner_name", "status", "status_changed_by_name", "status_changed_at", "created_by_name", "created_at")
PERSON_FIELDSET = (
    _("Natural person"),
    {"fields": ("apellido_paterno", "apellido_materno", "nombres", ("nationality", "date_of_birth"), "occupation")},
)
COMPANY_FIELDSET = (
    _("Company (RUC)"),
    {
        "fields": (
            "razon_social",
            "economic_activity",
            "contact_person",
            "legal_rep_name",
            ("legal_rep_document_type", "legal_rep_document_number"),
        )
    },
)


def write_export_file(request, queryset, target):
    """The clients sheet of `queryset` for request.user into `target`, audited; returns (rows, filename).

    One audit entry per file: it may hold full account numbers.
    """
    rows = write_clients_xlsx(ClientResource(user=request.user), queryset, target)
    services.record_client_export(
        by=request.user,
        rows=rows,
        params=request.GET,
        full_accounts=request.user.has_perm("clients.view_full_accounts"),
    )
    return rows, display.download_name(gettext("Clients"), "xlsx")


def build_export(request, target):
    """The background export's builder: the list's selection replayed for the same user."""
    model_admin = admin.site.get_model_admin(Client)
    if not model_admin.has_export_permission(request):
        raise PermissionDenied
    return write_export_file(request, model_admin.get_export_queryset(request), target)


@admin.register(Client)
class ClientAdmin(ServiceAdminMixin, ImportExportMixin, admin.ModelAdmin):
    form = ClientAdminForm
    inlines = [BankAccountInline, ClientDocumentInline, ClientDocumentUploadInline, ClientReassignmentInline]
    list_display = (
        "document",
        "name",
        "executive",
        "status_badge",
        "registered",
        "operation_count",
    )
    list_display_links = ("document", "name")
    list_filter = (
        StatusFilter,
        "document_type",
        OwnerFilter,
        "is_pep",
        RegisterDataFilter,
        ("created_at", admin.DateFieldListFilter),
    )
    # What get_search_results searches (through Client.search_text); also required by autocomplete_fields.
    search_fields = ("^document_number", "apellido_paterno", "apellido_materno", "nombres", "razon_social", "email")
    search_help_text = _(
        "Search by document number (beginning), surnames, names, business name or e-mail; "
        "capitals and accents do not matter."
    )
    list_select_related = ("owner",)
    show_full_result_count = False
    # Django's "Show counts" would count every choice of every filter over all the clients.
    show_facets = admin.ShowFacets.NEVER
    # 250,000 clients are 35 ms of COUNT(*) per page; the planner's estimate costs nothing.
    paginator = EstimatedCountPaginator
    list_per_page = 50
    ordering = ("-created_at", "-id")
    actions = ["activate_selected", "deactivate_selected", "reassign_selected"]
    change_form_template = "admin/clients/client/change_form.html"
    change_list_template = "admin/clients/client/change_list.html"
    import_template_name = "admin/clients/client/import.html"
    export_template_name = "admin/clients/client/export.html"
    import_form_class = ClientImportForm
    export_form_class = ExportForm
    skip_import_confirm = False

    class Media:
        js = ("clients/client_form.js",)
        css = {"all": ("clients/clients_admin.css",)}

    # --- columns ---
    @admin.display(description=_("document"), ordering="document_number")
    def document(self, obj):
        return f"{obj.document_type} {obj.document_number}"

    @admin.display(description=_("client"))
    def name(self, obj):
        # The contact under the name keeps the list narrow enough for a laptop; a long e-mail may
        # break after the "@" instead of widening the table.
        local, _at, domain = obj.email.partition("@")
        email = format_html("{}@<wbr>{}", local, domain) if domain else obj.email
        return format_html(
            '{}<span class="client-contact">{} · {}</span>', obj.display_name, email, obj.first_phone or display.EMPTY
        )

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        css = "active" if obj.is_active else "inactive"
        return format_html('<span class="client-badge client-badge-{}">{}</span>', css, obj.get_status_display())

    @admin.display(description=_("account executive"), ordering="owner__username")
    def executive(self, obj):
        return obj.owner.display_name

    @admin.display(description=_("account executive"))
    def owner_name(self, obj):
        return user_link(obj.owner)

    @admin.display(description=_("created by"))
    def created_by_name(self, obj):
        return user_link(obj.created_by)

    @admin.display(description=_("status changed by"))
    def status_changed_by_name(self, obj):
        return user_link(obj.status_changed_by)

    @admin.display(description=_("registered at"), ordering="created_at")
    def registered(self, obj):
        return display.date(obj.created_at)

    @admin.display(description=_("operations"), ordering="operation_count")
    def operation_count(self, obj):
        return getattr(obj, "operation_count", 0)

    # --- scoping ---
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).with_operation_counts()

    def get_search_results(self, request, queryset, search_term):
        """Case- and accent-insensitive ("nunez" finds NÚÑEZ) on SQLite and PostgreSQL alike.

        Also what the operations' client autocomplete uses. Document number: from its beginning.
        """
        return client_search_filter(queryset, search_term), False

    def get_object(self, request, object_id, from_field=None):
        """Another trader's client is a 404, exactly like a client that does not exist."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Client not found."))
        return obj

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is None:  # nothing on file yet: no history, no documents list
            inlines = [i for i in inlines if not isinstance(i, (ClientDocumentInline, ClientReassignmentInline))]
        return inlines

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if not request.user.has_perm("clients.view_all_clients"):
            filters.remove(OwnerFilter)
        return filters

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not request.user.has_perm("clients.view_all_clients"):
            columns.remove("executive")  # always the user itself
        return columns

    def has_delete_permission(self, request, obj=None):
        return False

    # --- form layout and what each user may edit ---
    def get_fieldsets(self, request, obj=None):
        document = (_("Identity document"), {"fields": ("document_type", "document_number")})
        contact = (_("Contact"), {"fields": ("email", "cc_emails", "phones")})
        address = (_("Address"), {"fields": ("address", ("district", "province", "department"))})
        pep = (_("Politically exposed person (PEP)"), {"fields": ("is_pep", ("pep_position", "pep_entity"))})
        if obj is None:
            person = (PERSON_FIELDSET[0], {**PERSON_FIELDSET[1], "classes": ("client-person",)})
            company = (COMPANY_FIELDSET[0], {**COMPANY_FIELDSET[1], "classes": ("client-company",)})
            sets = [document, person, company, contact, address, pep]
            if request.user.has_perm("clients.view_all_clients"):
                sets.append((_("Account executive"), {"fields": ("owner",)}))
            return sets
        kind = COMPANY_FIELDSET if obj.is_company else PERSON_FIELDSET
        status = (
            _("Status and account executive"),
            {
                "fields": (
                    ("status", "owner_name"),
                    ("status_changed_by_name", "status_changed_at"),
                    ("created_by_name", "created_at"),
                )
            },
        )
        return [document, kind, contact, address, pep, status]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        editable = set(policy.editable_fields(request.user))
        groups = policy.PROFILE_FIELDS + policy.REGISTER_FIELDS + policy.CONTACT_FIELDS
        locked = [f for f in groups if f not in editable]
        return (*policy.IMMUTABLE_FIELDS, *SYSTEM_FIELDS, *locked)

    def get_changeform_initial_data(self, request):
        initial = {"document_type": "DNI", **super().get_changeform_initial_data(request)}
        if request.user.has_perm("clients.view_all_clients"):
            initial.setdefault("owner", request.user.pk)
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "owner" in form.base_fields:
            # Portfolio holders, plus the registering user itself (the default).
            owners = get_user_model().objects.filter(
                Q(pk__in=policy.owner_candidates().values("pk")) | Q(pk=request.user.pk)
            )
            form.base_fields["owner"].queryset = owners.order_by("first_name", "last_name", "username")
        return form

    # --- saving through the services ---
    def save_via_service(self, request, form, formsets, change):
        accounts_fs = next((fs for fs in formsets if isinstance(fs, BankAccountInlineFormSet)), None)
        upload_fs = next((fs for fs in formsets if issubclass(fs.form, ClientDocumentUploadForm)), None)
        accounts = accounts_fs.changed_accounts() if accounts_fs is not None else []
        documents = [f.instance for f in upload_fs.forms if f.has_changed()] if upload_fs is not None else []
        for fs in formsets:
            # What construct_change_message() reads after a normal formset.save().
            fs.new_objects = [f.instance for f in fs.extra_forms if f.has_changed()]
            fs.changed_objects = [(f.instance, f.changed_data) for f in fs.initial_forms if f.has_changed()]
            fs.deleted_objects = []
        client = form.instance
        if not change:
            if client.owner_id is None:
                client.owner = request.user
            return services.register_client(client, by=request.user, accounts=accounts, documents=documents)
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        return services.update_client(client, changes, by=request.user, accounts=accounts, documents=documents)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        user = request.user
        context.update(
            {
                "can_activate": bool(obj and user.has_perm("clients.activate_client")),
                "can_reassign": bool(obj and user.has_perm("clients.reassign_client")),
                "activation_errors": services.activation_errors(obj) if obj and not obj.is_active else [],
            }
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- buttons on the change page (POST + CSRF; the service checks the permission) ---
    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/activate/", wrap(self.activate_view), name=f"{prefix}_activate"),
            path("<path:object_id>/deactivate/", wrap(self.deactivate_view), name=f"{prefix}_deactivate"),
            path("<path:object_id>/reassign/", wrap(self.reassign_one_view), name=f"{prefix}_reassign"),
            path("reassign-portfolio/", wrap(self.reassign_portfolio_view), name=f"{prefix}_reassign_portfolio"),
            path("import/template/", wrap(self.import_template_view), name=f"{prefix}_import_template"),
            *super().get_urls(),
        ]

    def _change_url(self, obj):
        return reverse("admin:clients_client_change", args=[obj.pk], current_app=self.admin_site.name)

    def _status_view(self, request, object_id, service, done, failed):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        try:
            service(obj, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, failed % {"client": obj.display_name, "error": error_text(exc)})
        else:
            messages.success(request, done % {"client": obj.display_name})
        return HttpResponseRedirect(self._change_url(obj))

    def activate_view(self, request, object_id):
        return self._status_view(
            request,
            object_id,
            services.activate_client,
            _("The client %(client)s is now active."),
            _("%(client)s could not be activated: %(error)s"),
        )

    def deactivate_view(self, request, object_id):
        return self._status_view(
            request,
            object_id,
            services.deactivate_client,
            _("The client %(client)s is now inactive."),
            _("%(client)s could not be deactivated: %(error)s"),
        )

    # --- changelist actions ---
    def has_activate_permission(self, request):
        return request.user.has_perm("clients.activate_client")

    def has_reassign_permission(self, request):
        return request.user.has_perm("clients.reassign_client")

    def _bulk_status(self, request, queryset, service, done_msg, failed_msg):
        done, failed = 0, []
        for client in queryset:
            try:
                service(client, by=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                failed.append(failed_msg % {"client": client.display_name, "error": error_text(exc)})
        if done:
            messages.success(request, done_msg % {"n": done})
        for line in failed:
            messages.error(request, line)

    @admin.action(description=_("Activate selected clients"), permissions=["activate"])
    def activate_selected(self, request, queryset):
        self._bulk_status(
            request,
            queryset,
            services.activate_client,
            _("Clients activated: %(n)d."),
            _("%(client)s could not be activated: %(error)s"),
        )

    @admin.action(description=_("Deactivate selected clients"), permissions=["activate"])
    def deactivate_selected(self, request, queryset):
        self._bulk_status(
            request,
            queryset,
            services.deactivate_client,
            _("Clients deactivated: %(n)d."),
            _("%(client)s could not be deactivated: %(error)s"),
        )

    @admin.action(description=_("Reassign selected clients to another trader"), permissions=["reassign"])
    def reassign_selected(self, request, queryset):
        form = ReassignForm(request.POST if request.POST.get("confirm") == "yes" else None)
        if form.is_bound and form.is_valid():
            self._reassign(request, list(queryset.values_list("pk", flat=True)), form.cleaned_data["to_owner"])
            return None  # back to the changelist
        return self._reassign_page(request, form, queryset, action="reassign_selected")

    def _reassign(self, request, ids, to_owner):
        try:
            moved = services.reassign_clients(ids, to_owner, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            return False
        skipped = len(ids) - len(moved)
        messages.success(
            request,
            ngettext(
                "%(n)d client reassigned to %(user)s.",
                "%(n)d clients reassigned to %(user)s.",
                len(moved),
            )
            % {"n": len(moved), "user": to_owner},
        )
        if skipped:
            messages.info(request, _("%(n)d already belonged to %(user)s.") % {"n": skipped, "user": to_owner})
        return True

    def _reassign_page(self, request, form, queryset, action=None, extra=None):
        total = queryset.count()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reassign clients"),
            "opts": self.opts,
            "form": form,
            "clients": queryset.select_related("owner")[:50],
            "total": total,
            "more": max(total - 50, 0),
            "action": action,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            **(extra or {}),
        }
        return TemplateResponse(request, "admin/clients/client/reassign.html", context)

    def reassign_one_view(self, request, object_id):
        if not request.user.has_perm("clients.reassign_client"):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        form = ReassignForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._reassign(request, [obj.pk], form.cleaned_data["to_owner"])
            return HttpResponseRedirect(self._change_url(obj))
        queryset = self.get_queryset(request).filter(pk=obj.pk)
        return self._reassign_page(request, form, queryset, extra={"single": obj})

    def reassign_portfolio_view(self, request):
        """A whole portfolio at once: choose both executives, confirm the count, move."""
        if not request.user.has_perm("clients.reassign_client"):
            raise PermissionDenied
        form = PortfolioReassignForm(request.POST or None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reassign a whole portfolio"),
            "opts": self.opts,
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            from_owner, to_owner = form.cleaned_data["from_owner"], form.cleaned_data["to_owner"]
            portfolio = self.get_queryset(request).filter(owner=from_owner)
            if request.POST.get("confirm") == "yes":
                try:
                    moved = services.reassign_portfolio(from_owner, to_owner, by=request.user)
                except (ValidationError, PermissionDenied) as exc:
                    messages.error(request, error_text(exc))
                else:
                    messages.success(
                        request,
                        _("Portfolio of %(old)s moved to %(new)s: %(n)d clients.")
                        % {"old": from_owner, "new": to_owner, "n": len(moved)},
                    )
                    url = reverse("admin:clients_client_changelist", current_app=self.admin_site.name)
                    return HttpResponseRedirect(f"{url}?owner={to_owner.pk}")
            context.update(
                {
                    "confirming": True,
                    "from_owner": from_owner,
                    "to_owner": to_owner,
                    "total": portfolio.count(),
                    "clients": portfolio.select_related("owner")[:50],
                }
            )
        return TemplateResponse(request, "admin/clients/client/reassign_portfolio.html", context)

    # --- import / export ---
    def add_data_read_fail_error_to_form(self, form, e):
        # The library's message names the exception ("'BadZipFile' encountered…"): log it, say it plainly.
        logger.info("Unreadable import file: %s: %s", type(e).__name__, e)
        form.add_error("import_file", _("The file is not a valid Excel (xlsx) or CSV file."))

    def _create_log_entry(self, user_pk, rows, import_type, action_flag):
        # The library writes "new through import_export" into each object's history: say it in Spanish.
        if rows:
            LogEntry.objects.log_actions(
                user_pk, rows, action_flag, change_message=str(_("Imported from a file.")), single_object=len(rows) == 1
            )

    def init_request_context_data(self, request, form):
        context_data = super().init_request_context_data(request, form)
        context_data["full_accounts"] = request.user.has_perm("clients.view_full_accounts")
        context_data["filtered"] = bool({k for k in request.GET if k not in ("o", "p", "_changelist_filters")})
        return context_data

    def get_import_context_data(self, **kwargs):
        return {**super().get_import_context_data(**kwargs), "preview_rows": PREVIEW_ROWS}

    def get_import_formats(self):
        return [base_formats.XLSX, SpreadsheetCSV]

    def get_export_formats(self):
        return [StyledXLSX]

    def get_import_resource_classes(self, request):
        return [ClientResource]

    def get_export_resource_classes(self, request):
        return [ClientResource]

    def get_import_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """The library's last step of the export form, streamed: clients.exports writes the file from
        plain rows in constant memory (the library would build every client and the whole workbook in
        memory). Above EXPORT_SYNC_MAX_ROWS clients the task worker builds it (Mis descargas)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        if background_exports.too_large_for_a_request(queryset):
            background_exports.start("clients", user=request.user, query=request.GET.urlencode())
            messages.info(request, background_exports.started_message())
            url = reverse("admin:clients_client_changelist", current_app=self.admin_site.name)
            return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
        tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
        try:
            _rows, filename = write_export_file(request, queryset, tmp)
        except BaseException:
            tmp.close()
            raise
        tmp.seek(0)
        response = FileResponse(tmp, as_attachment=True, filename=filename, content_type=file_format.get_content_type())
        response["Cache-Control"] = "no-store"
        post_export.send(sender=None, model=self.model)
        return response

    def get_export_filename(self, request, queryset, file_format):
        return display.download_name(_("Clients"), file_format.get_extension())

    def import_template_view(self, request):
        """The import template: the columns the import reads and one example row."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        data = StyledXLSX().export_data(ClientResource(user=request.user).template_dataset())
        response = HttpResponse(data, content_type=StyledXLSX.CONTENT_TYPE)
        name = display.download_name(_("Clients template"), "xlsx")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Data changed between the preview and the confirmation: all rolled back.
            messages.error(
                request,
                _(
                    "The import was cancelled and nothing was saved: the file no longer passes "
                    "validation. Upload it again to see the errors."
                ),
            )
            return HttpResponseRedirect(reverse("admin:clients_client_import", current_app=self.admin_site.name))
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        totals = result.totals
        messages.success(
            request,
            _("Import finished: %(new)s, %(updated)s, %(skipped)s.")
            % {
                "new": ngettext("%d new client", "%d new clients", totals[RowResult.IMPORT_TYPE_NEW])
                % totals[RowResult.IMPORT_TYPE_NEW],
                "updated": ngettext("%d updated", "%d updated", totals[RowResult.IMPORT_TYPE_UPDATE])
                % totals[RowResult.IMPORT_TYPE_UPDATE],
                "skipped": ngettext("%d unchanged", "%d unchanged", totals[RowResult.IMPORT_TYPE_SKIP])
                % totals[RowResult.IMPORT_TYPE_SKIP],
            },
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_reassign": request.user.has_perm("clients.reassign_client"),
        }
        return super().changelist_view(request, extra_context)
