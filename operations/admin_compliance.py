"""Compliance in the admin: the register filter and badges of the operations list, the origin-of-funds
inline and compliance box of the operation page, and the register of unusual operations.

Presentation only: the rules are operations.compliance's, the changes operations.services.compliance's.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from operations import compliance, policy, services
from operations.models import FundsDeclaration, Operation, OperationStatus, UnusualOperation, UnusualStatus
from operations.services.compliance import origin_problem
from qoricash import display
from qoricash.admin_services import ServiceAdminMixin, row_error_key
from qoricash.downloads import private_file_link
from qoricash.held_uploads import HeldFileInput, HeldFilesFormMixin

# --- Operations list ----------------------------------------------------------------------------------------


class RegisterFilter(admin.SimpleListFilter):
    title = _("operations register (UIF)")
    parameter_name = "register"

    def lookups(self, request, model_admin):
        return [
            ("any", _("In the register")),
            ("single", _("Single (RO única)")),
            ("multiple", _("Multiple (RO múltiple)")),
            ("pep", _("PEP awaiting compliance")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.filter(Q(ro_single=True) | Q(ro_multiple=True))
        if value == "single":
            return queryset.filter(ro_single=True)
        if value == "multiple":
            return queryset.filter(ro_multiple=True)
        if value == "pep":
            return queryset.filter(
                client__is_pep=True,
                amount_usd__gte=compliance.origin_threshold(),
                pep_approved_at__isnull=True,
                status__in=(OperationStatus.PENDING, OperationStatus.IN_PROCESS),
            )
        return queryset


def register_mark(op):
    """The list's one compact mark: 'RO U', 'RO M' or 'RO U+M', its meaning in the tooltip."""
    if not (op.ro_single or op.ro_multiple):
        return ""  # most rows: nothing to translate
    marks = ((pgettext("register mark", "U"), op.ro_single), (pgettext("register mark", "M"), op.ro_multiple))
    parts = [code for code, flag in marks if flag]
    if not parts:
        return ""
    titles = [t for t, flag in ((gettext("RO single"), op.ro_single), (gettext("RO multiple"), op.ro_multiple)) if flag]
    return format_html(
        '<span class="op-badge op-badge-ro op-ro-mark" title="{}">RO {}</span>', " · ".join(titles), "+".join(parts)
    )


def register_badges(op):
    """'RO' badges of an operation: single, multiple (the change page)."""
    badges = []
    if op.ro_single:
        badges.append((gettext("RO single"), gettext("At or above the single-operation threshold")))
    if op.ro_multiple:
        badges.append((gettext("RO multiple"), gettext("The client's month adds up to the monthly threshold")))
    return format_html_join("", ' <span class="op-badge op-badge-ro" title="{1}">{0}</span>', badges)


# --- Origin of funds (operation page) --------------------------------------------------------------------


class FundsDeclarationForm(HeldFilesFormMixin, forms.ModelForm):
    class Meta:
        model = FundsDeclaration
        fields = ("origin", "detail", "file")
        widgets = {
            "file": HeldFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
            "detail": forms.Textarea(attrs={"rows": 2, "cols": 60}),
        }


class FundsDeclarationInline(admin.StackedInline):
    """The client's declaration of the origin of the funds: shown when the amount requires it or one
    was recorded; typed by the client's trader while the operation is Pendiente."""

    model = FundsDeclaration
    form = FundsDeclarationForm
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = _("origin of the funds")
    verbose_name_plural = _("origin of the funds (required from the threshold before sending to process)")
    readonly_always = ("recorded", "supporting_file")

    def _editable(self, request, obj):
        return (
            obj is not None
            and obj.status == OperationStatus.PENDING
            and policy.is_clients_trader(request.user, obj)
            and request.user.has_perm("operations.add_fundsdeclaration")
        )

    def get_fields(self, request, obj=None):
        if self._editable(request, obj):
            return ("origin", "detail", "file", *self.readonly_always)
        return ("origin", "detail", *self.readonly_always)

    def get_readonly_fields(self, request, obj=None):
        if self._editable(request, obj):
            return self.readonly_always
        return self.get_fields(request, obj)

    def get_max_num(self, request, obj=None, **kwargs):
        return 1 if self._editable(request, obj) else 0

    def get_extra(self, request, obj=None, **kwargs):
        if not self._editable(request, obj) or FundsDeclaration.objects.filter(operation=obj).exists():
            return 0
        return 1 if compliance.needs_origin_of_funds(obj) else 0

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")

    @admin.display(description=_("recorded"))
    def recorded(self, obj):
        if not obj or not obj.pk:
            return display.EMPTY
        return f"{obj.recorded_by.display_name} · {display.datetime(obj.recorded_at)}"

    @admin.display(description=_("supporting document on file"))
    def supporting_file(self, obj):
        if not obj or not obj.pk or not obj.file:
            return display.EMPTY
        return private_file_link(obj, f"{obj.original_name or gettext('file')} ({display.filesize(obj.size)})")


def save_declaration(formset, op, by):
    """The declaration row, if typed or changed, through the service (its refusal is shown on the row)."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for row in formset.forms:
        if not row.has_changed():
            continue
        data = row.cleaned_data
        try:
            saved = services.record_funds_declaration(
                op, by=by, origin=data.get("origin"), detail=data.get("detail", ""), file=data.get("file") or None
            )
        except ValidationError as exc:
            errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
            raise ValidationError({row_error_key(row, key): value for key, value in errors.items()}) from exc
        if row.instance.pk:
            formset.changed_objects.append((saved, row.changed_data))
        else:
            formset.new_objects.append(saved)


# --- Compliance box of the operation page ----------------------------------------------------------------


def compliance_context(request, op):
    """What the operation page says about compliance: register, origin of funds, PEP, unusual."""
    user = request.user
    needs_origin = compliance.needs_origin_of_funds(op)
    problem = origin_problem(op) if op.status == OperationStatus.PENDING else None
    declaration = FundsDeclaration.objects.filter(operation=op).select_related("recorded_by").first()
    unusual = None
    if user.has_perm("operations.view_unusualoperation"):
        unusual = UnusualOperation.objects.filter(operation=op).first()
    box = {
        "badges": register_badges(op),
        "needs_origin": needs_origin,
        "origin_threshold": display.money(compliance.origin_threshold(), "USD"),
        "declaration": declaration,
        "origin_problem": " ".join(problem.messages) if problem else "",
        "needs_pep": compliance.needs_pep_approval(op),
        "pep_approved_at": display.datetime(op.pep_approved_at) if op.pep_approved_at else "",
        "pep_approved_by": op.pep_approved_by.display_name if op.pep_approved_by else "",
        "unusual": unusual,
        "unusual_url": reverse("admin:operations_unusualoperation_change", args=[unusual.pk]) if unusual else "",
        "mark_unusual_url": (
            reverse("admin:operations_unusualoperation_add") + f"?operation={op.pk}"
            if unusual is None and user.has_perm("operations.add_unusualoperation")
            else ""
        ),
    }
    box["show"] = bool(
        op.ro_single or op.ro_multiple or needs_origin or declaration or unusual or box["mark_unusual_url"]
    )
    return {"op_compliance": box}


# --- Register of unusual operations ---------------------------------------------------------------------


class UnusualOperationForm(forms.ModelForm):
    class Meta:
        model = UnusualOperation
        fields = ("operation", "note", "status", "evaluation", "uif_reference")
        widgets = {
            "note": forms.Textarea(attrs={"rows": 3, "cols": 70}),
            "evaluation": forms.Textarea(attrs={"rows": 3, "cols": 70}),
        }


@admin.register(UnusualOperation)
class UnusualOperationAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("operation_code", "client_name", "amount", "status", "marked", "decided")
    list_filter = ("status",)
    search_fields = ("operation__code",)
    list_select_related = ("operation", "operation__client", "marked_by", "decided_by")
    # An id (filled from the operation page's link, or picked in the operations list): years of
    # operations do not fit a select.
    raw_id_fields = ("operation",)
    form = UnusualOperationForm

    def get_queryset(self, request):
        return UnusualOperation.objects.visible_to(request.user).select_related(*self.list_select_related)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "operation":
            # Not the operations admin's ordering: it sorts by an annotation only its own list has.
            taken = UnusualOperation.objects.values("operation")
            kwargs["queryset"] = (
                Operation.objects.visible_to(request.user).exclude(pk__in=taken).select_related("client")
            )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "operation":
            field.label_from_instance = lambda op: (
                f"{op.code} · {op.client.display_name} · US$ {display.money(op.amount_usd)}"
            )
        return field

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("operation", "note")
        return ("operation_link", "note", "marked", "status", "evaluation", "uif_reference", "decided")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fixed = ("operation_link", "note", "marked", "decided")
        if not self.has_change_permission(request, obj):
            return (*fixed, "status", "evaluation", "uif_reference")
        return fixed

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        operation = services.parse_id(request.GET.get("operation"))
        return {**initial, "operation": operation} if operation else initial

    def has_delete_permission(self, request, obj=None):
        return False  # the register keeps every entry

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("Not found."))
        return obj

    def save_via_service(self, request, form, formsets, change):
        data = form.cleaned_data
        if not change:
            return services.mark_unusual(data["operation"], by=request.user, note=data.get("note", ""))
        if not self.has_change_permission(request, form.instance):
            raise PermissionDenied
        return services.evaluate_unusual(
            form.instance,
            by=request.user,
            status=data.get("status"),
            evaluation=data.get("evaluation", ""),
            uif_reference=data.get("uif_reference", ""),
        )

    @admin.display(description=_("operation"), ordering="operation__code")
    def operation_code(self, obj):
        return obj.operation.code

    @admin.display(description=_("operation"))
    def operation_link(self, obj):
        url = reverse("admin:operations_operation_change", args=[obj.operation_id])
        op = obj.operation
        return format_html(
            '<a href="{}">{}</a> · {} · {} · US$ {}',
            url,
            op.code,
            op.client.display_name,
            display.datetime(op.created_at),
            display.money(op.amount_usd),
        )

    @admin.display(description=_("client"))
    def client_name(self, obj):
        return obj.operation.client.display_name

    @admin.display(description=_("USD"), ordering="operation__amount_usd")
    def amount(self, obj):
        return display.money(obj.operation.amount_usd)

    @admin.display(description=_("marked"), ordering="marked_at")
    def marked(self, obj):
        return f"{obj.marked_by.display_name} · {display.datetime(obj.marked_at)}"

    @admin.display(description=_("decided"), ordering="decided_at")
    def decided(self, obj):
        if obj.status == UnusualStatus.EVALUATING or not obj.decided_at:
            return display.EMPTY
        who = obj.decided_by.display_name if obj.decided_by else display.EMPTY
        return f"{who} · {display.datetime(obj.decided_at)}"
