"""Operations in the admin: rates, house accounts, the operations list, the change form, transitions.

Presentation only. Scoping comes from `Operation.objects.visible_to`, who may edit what from
`operations.policy`; every change goes through `operations.services` (`save_via_service` of
ServiceAdminMixin), whose refusal is shown on the form, on the deposit/payout row or on top, with the
input kept. Nothing here decides a business rule on its own.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from clients.models import Currency
from operations import forms as op_forms
from operations import policy, services, views
from operations.admin_compliance import (
    FundsDeclarationInline,
    RegisterFilter,
    compliance_context,
    register_mark,
    save_declaration,
)
from operations.models import (
    Deposit,
    ExchangeRate,
    FundsDeclaration,
    HouseBankAccount,
    Movement,
    Operation,
    OperationEvent,
    OperationStatus,
    Payout,
    mask_snapshot,
)
from operations.views import duration
from qoricash import compiled, context, display
from qoricash.admin_services import ServiceAdminMixin, row_error_key
from qoricash.downloads import private_file_link
from qoricash.paginator import EstimatedCountPaginator


def status_badge(op):
    return _choice_badge('<span class="op-badge op-badge-{}">{}</span>', op, "status")


def type_badge(op):
    return _choice_badge('<span class="op-type op-type-{}">{}</span>', op, "type")


_badges = {}


def _choice_badge(template, op, field):
    """A few distinct badges on every row of the list: each built once per value and language."""
    value = getattr(op, field)
    key = (template, value, get_language())
    badge = _badges.get(key)
    if badge is None:
        badge = _badges[key] = format_html(template, value, getattr(op, f"get_{field}_display")())
    return badge


def person(user):
    return user.display_name if user is not None else display.EMPTY


def number(value, places=2):
    """A right-aligned figure of a list column."""
    text = display.rate(value) if places == 4 else display.money(value)
    return format_html('<span class="op-num">{}</span>', text)


class OperatorFilter(admin.RelatedOnlyFieldListFilter):
    """Everyone who holds the role's permission (also former staff, whose operations stay listed),
    plus "Sin asignar". Read from the users, never from the operations: a DISTINCT over years of
    operations would cost more than the page."""

    permission = "operations.process_operation"

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.empty_value_display = gettext("Unassigned")

    def field_choices(self, field, request, model_admin):
        model = field.related_model

        def holders():
            users = model.objects.with_perm(self.permission, include_superusers=False, active_only=False)
            return users.order_by("first_name", "last_name", "username")

        # The same SQL on every visit of the list: compiled once (qoricash.compiled).
        users = compiled.instances(("holders of", self.permission), holders, model)
        return [(u.pk, person(u)) for u in users]


class TraderFilter(OperatorFilter):
    permission = "operations.add_operation"


class CreatedFilter(admin.DateFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = gettext("creation date")


class _PageRowsChangeList(ChangeList):
    """The operations list, whose page of rows loads only the fields its columns read
    (`OperationAdmin.list_fields`); counts, filters and exports keep the whole queryset."""

    def get_results(self, request):
        super().get_results(request)
        if isinstance(self.result_list, QuerySet) and self.result_list._result_cache is None:
            self.result_list = self.result_list.only(*self.model_admin.list_fields)


# --- Exchange rates -------------------------------------------------------------------------------------


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Append-only: Master adds a new rate; nobody edits or deletes one."""

    form = op_forms.ExchangeRateForm

    class Media:
        css = {"all": ("operations/operations.css",)}

    list_display = ("effective", "buy_display", "sell_display", "base_display", "spread", "set_by", "is_current")
    list_select_related = ("set_by",)
    date_hierarchy = "effective_at"
    show_full_result_count = False
    fields = ("buy", "sell", "base", "effective_at")

    @admin.display(description=_("effective at"), ordering="effective_at")
    def effective(self, obj):
        return display.datetime(obj.effective_at)

    @admin.display(description=_("buy rate (compra)"), ordering="buy")
    def buy_display(self, obj):
        return display.rate(obj.buy)

    @admin.display(description=_("sell rate (venta)"), ordering="sell")
    def sell_display(self, obj):
        return display.rate(obj.sell)

    @admin.display(description=_("base rate"), ordering="base")
    def base_display(self, obj):
        return display.rate(obj.base)

    @admin.display(description=_("spread (sell − buy)"))
    def spread(self, obj):
        return display.rate(obj.sell - obj.buy)

    @admin.display(description=_("current"))
    def is_current(self, obj):
        if getattr(obj, "_is_current", False):
            return format_html('<span class="op-badge op-badge-completed">{}</span>', gettext("In force"))
        return ""

    def get_queryset(self, request):
        current = ExchangeRate.objects.current()
        flag = ExpressionWrapper(Q(pk=current.pk if current else None), output_field=BooleanField())
        return super().get_queryset(request).annotate(_is_current=flag)

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if policy.sees_cost(request.user) else tuple(c for c in shown if c != "base_display")

    def get_readonly_fields(self, request, obj=None):
        return ("buy", "sell", "base", "effective_at", "set_by") if obj else ()

    def get_fields(self, request, obj=None):
        fields = (*self.fields, "set_by") if obj else self.fields
        return fields if policy.sees_cost(request.user) else tuple(f for f in fields if f != "base")

    def has_add_permission(self, request):
        return policy.may_publish_rates(request.user)

    def get_changeform_initial_data(self, request):
        return {"effective_at": op_forms.default_effective_at(), **super().get_changeform_initial_data(request)}

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_via_service(self, request, form, formsets, change):
        rate = form.instance
        saved = services.publish_rate(
            by=request.user, base=rate.base, buy=rate.buy, sell=rate.sell, effective_at=rate.effective_at
        )
        rate.pk, rate.set_by = saved.pk, saved.set_by
        rate._state.adding = False
        return saved


# --- House accounts -------------------------------------------------------------------------------------


@admin.register(HouseBankAccount)
class HouseBankAccountAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = op_forms.HouseBankAccountForm
    # The holder (the house itself on every row) is on the account's page: the list keeps its room
    # for the account number and CCI, read and copied whole, never broken over two lines.
    list_display = ("bank", "currency", "number", "cci", "is_active")
    list_filter = ("currency", "bank", "is_active")
    search_fields = ("number", "cci", "holder")
    fields = ("bank", "currency", "number", "cci", "holder", "is_active")
    actions = ["deactivate_selected", "activate_selected"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: deposits and payouts keep pointing at it

    def get_readonly_fields(self, request, obj=None):
        # Deposits and payouts reference the account: its identity stays, only holder/CCI/active change.
        return ("bank", "currency", "number") if obj else ()

    def save_via_service(self, request, form, formsets, change):
        return services.save_house_account(form.instance, by=request.user)

    @admin.action(description=_("Deactivate selected accounts"), permissions=["change"])
    def deactivate_selected(self, request, queryset):
        n = services.set_house_accounts_active(queryset, False, by=request.user)
        self.message_user(request, gettext("%(n)s accounts deactivated.") % {"n": n}, messages.SUCCESS)

    @admin.action(description=_("Activate selected accounts"), permissions=["change"])
    def activate_selected(self, request, queryset):
        n = services.set_house_accounts_active(queryset, True, by=request.user)
        self.message_user(request, gettext("%(n)s accounts activated.") % {"n": n}, messages.SUCCESS)


# --- Operation inlines ----------------------------------------------------------------------------------


class MovementInline(admin.TabularInline):
    """Deposits or payouts of the operation. Never deleted: a mistaken row is voided ("Anular" opens a
    confirmation page asking why); a voided row stays listed, greyed, with its voucher."""

    extra = 0
    can_delete = False
    formset = op_forms.MovementFormSet
    editable_fields = ()
    readonly_always = ("voucher", "registered", "void_state")

    def _editable(self, request, obj):
        return obj is not None and policy.can_edit_movements(request.user, obj, self.model)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("client_account", "house_account", "created_by", "voided_by", "operation__client")
        )

    def get_fields(self, request, obj=None):
        if self._editable(request, obj):
            return (*self.editable_fields, *self.readonly_always)
        shown = ["amount_display" if f == "amount" else f for f in self.editable_fields if f != "file"]
        return (*shown, *self.readonly_always)

    def get_readonly_fields(self, request, obj=None):
        if self._editable(request, obj):
            return self.readonly_always
        return self.get_fields(request, obj)

    def get_max_num(self, request, obj=None, **kwargs):
        if not self._editable(request, obj):
            return 0  # no row can be added (closed operation, no permission): no "add" link either
        # Voided rows stay listed but do not count towards the limit.
        limit = self.model.max_per_operation
        if limit is None:
            return super().get_max_num(request, obj, **kwargs)
        return limit + (self.model.objects.filter(operation=obj).voided().count() if obj is not None else 0)

    @admin.display(description=_("amount"))
    def amount_display(self, obj):
        return number(obj.amount)

    @admin.display(description=_("registered"))
    def registered(self, obj):
        if not obj or not obj.pk:
            return display.EMPTY
        return f"{person(obj.created_by)} · {display.datetime(obj.created_at)}"

    @admin.display(description=_("voiding"))
    def void_state(self, obj):
        """'Anulado' with who, when and why; or the 'Anular' link when this user may void the row now."""
        if not obj or not obj.pk:
            return display.EMPTY
        if obj.is_voided:
            return format_html(
                '<span class="op-voided">{}</span><div class="op-void-detail">{} · {}</div>'
                '<div class="op-void-reason">{}</div>',
                gettext("Voided"),
                person(obj.voided_by),
                display.datetime(obj.voided_at),
                obj.void_reason,
            )
        user = context.get().user  # display methods get no request (see OperationAdmin._snapshot)
        if user is not None and policy.void_refusal(user, obj) is None:
            return format_html('<a class="op-void-link" href="{}">{}</a>', views.void_url(obj), gettext("Void"))
        return display.EMPTY

    def get_extra(self, request, obj=None, **kwargs):
        if not self._editable(request, obj):
            return 0
        return 1 if not self.model.objects.filter(operation=obj).not_voided().exists() else 0

    def get_formset(self, request, obj=None, **kwargs):
        if self._editable(request, obj):
            kwargs["form"] = type(self.form.__name__, (self.form,), {"operation": obj})
        return super().get_formset(request, obj, **kwargs)

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # business records are voided, never deleted

    @admin.display(description=_("voucher on file"))
    def voucher(self, obj):
        if not obj or not obj.pk or not obj.file:
            return display.EMPTY
        return private_file_link(obj, f"{obj.original_name or gettext('voucher')} ({display.filesize(obj.size)})")


class DepositInline(MovementInline):
    model = Deposit
    form = op_forms.DepositForm
    editable_fields = ("amount", "bank_reference", "client_account", "house_account", "file")
    verbose_name = _("client deposit")
    verbose_name_plural = _("client deposits (abonos): what the client sent to the house")


class PayoutInline(MovementInline):
    model = Payout
    form = op_forms.PayoutForm
    editable_fields = ("amount", "client_account", "house_account", "file")
    verbose_name = _("payout to client")
    verbose_name_plural = _("payouts to the client (at most 4), each with its voucher")


class OperationEventInline(admin.TabularInline):
    model = OperationEvent
    fields = ("at_display", "action", "transition", "by_display", "reason", "detail")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("event")
    verbose_name_plural = _("history: who did what and when")
    classes = ("op-events",)

    def get_queryset(self, request):
        # describe_event reads each event's operation (currencies): joined, not one query per row.
        return super().get_queryset(request).select_related("by", "operation").order_by("at", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("when"))
    def at_display(self, obj):
        return display.datetime(obj.at, seconds=True)

    @admin.display(description=_("by"))
    def by_display(self, obj):
        return person(obj.by)

    @admin.display(description=_("status"))
    def transition(self, obj):
        if not obj.to_status:
            return "—"
        if not obj.from_status:
            return obj.get_to_status_display()
        return f"{obj.get_from_status_display()} → {obj.get_to_status_display()}"

    @admin.display(description=_("detail"))
    def detail(self, obj):
        return views.describe_event(obj)


# --- Operations ---------------------------------------------------------------------------------------------


@admin.register(Operation)
class OperationAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = (
        "code_display",
        "client_name",
        "type_display",
        "usd_display",
        "rate_display",
        "pen_display",
        "status_display",
        "trader_name",
        "operator_name",
        "created",
        "in_process_for",
    )
    list_display_links = ("code_display", "client_name")
    list_filter = (
        "status",
        "type",
        ("created_at", CreatedFilter),
        ("trader", TraderFilter),
        ("assigned_operator", OperatorFilter),
        RegisterFilter,
    )
    search_fields = (
        "code",
        "^client__document_number",
        "client__apellido_paterno",
        "client__apellido_materno",
        "client__nombres",
        "client__razon_social",
    )
    search_help_text = _("Search by code (EXP-1001), client document number (beginning) or client names.")
    list_select_related = ("client", "trader", "assigned_operator")
    # What the columns above read: the page's rows load only these (a third of the CPU of loading
    # four whole rows each). A column reading anything else costs a query per row, which
    # tests/test_query_counts.py refuses.
    list_fields = (
        *("code", "ro_single", "ro_multiple", "type", "amount_usd", "rate", "amount_pen", "status", "created_at"),
        *("sent_to_process_at", "completed_at", "cancelled_at"),  # time in process
        *("client__document_type", "client__razon_social"),
        *("client__apellido_paterno", "client__apellido_materno", "client__nombres"),
        *(
            f"{user}__{name}"
            for user in ("trader", "assigned_operator")
            for name in ("first_name", "last_name", "username")
        ),
    )

    def get_search_results(self, request, queryset, search_term):
        # Client names are matched like on the clients list (accents and case ignored: "nunez" finds
        # NÚÑEZ); search_fields stays for the help text. The plan is the queryset's (Operation.search).
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.search(term), False

    show_full_result_count = False
    # Django's "Show counts" would count every choice of every filter over years of operations.
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    list_per_page = 50
    autocomplete_fields = ("client",)
    inlines = (FundsDeclarationInline, DepositInline, PayoutInline, OperationEventInline)
    change_form_template = "admin/operations/operation/change_form.html"

    class Media:
        css = {"all": ("operations/operations.css",)}
        js = ("operations/operation_form.js",)

    # --- list columns ---
    @admin.display(description=_("client"), ordering="client__apellido_paterno")
    def client_name(self, obj):
        return obj.client.display_name

    @admin.display(description=_("type"), ordering="type")
    def type_display(self, obj):
        return type_badge(obj)

    @admin.display(description=_("USD"), ordering="amount_usd")
    def usd_display(self, obj):
        return number(obj.amount_usd)

    @admin.display(description=_("T.C."), ordering="rate")
    def rate_display(self, obj):
        return number(obj.rate, places=4)

    @admin.display(description=_("PEN"), ordering="amount_pen")
    def pen_display(self, obj):
        return number(obj.amount_pen)

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj):
        return status_badge(obj)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj):
        return format_html('<span class="op-nowrap">{}</span>', display.datetime(obj.created_at))

    @admin.display(description=_("account executive"), ordering="trader__first_name")
    def trader_name(self, obj):
        return person(obj.trader)

    @admin.display(description=_("operator"), ordering="assigned_operator__first_name")
    def operator_name(self, obj):
        return person(obj.assigned_operator)

    @admin.display(description=_("code"), ordering="code")
    def code_display(self, obj):
        return format_html('<span class="op-nowrap">{}</span>{}', obj.code, register_mark(obj))

    @admin.display(description=_("time in process"))
    def in_process_for(self, obj):
        spent = obj.time_in_process()
        if spent is None:
            return "—"
        if obj.is_over_sla():
            return format_html(
                '<span class="op-sla-over" title="{}">{}</span>',
                gettext("Over %(n)s minutes") % {"n": settings.OPERATION_SLA_MINUTES},
                duration(spent),
            )
        return duration(spent)

    def get_changelist(self, request, **kwargs):
        return _PageRowsChangeList

    def changelist_view(self, request, extra_context=None):
        # The busiest screen of the back-office: give its eleven columns the whole width.
        extra_context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    # --- scoping, ordering, 404s ---
    def get_queryset(self, request):
        return self._visible(request).queue_first()

    @staticmethod
    def _visible(request):
        return Operation.objects.visible_to(request.user).select_related("client", "trader", "assigned_operator")

    def get_ordering(self, request):
        return ("_queue", "-created_at", "-id")  # En proceso first, then newest

    def get_object(self, request, object_id, from_field=None):
        """Another trader's operation is a real 404, exactly like one that does not exist.

        Read once per request (changeform_view needs it before Django's view reads it again), with
        the people the follow-up fields show."""
        cache = request.__dict__.setdefault("_operation_objects", {})
        key = (str(object_id), from_field)
        if key not in cache:
            field = Operation._meta.get_field(from_field) if from_field else Operation._meta.pk
            try:
                value = field.to_python(object_id)
            except ValidationError:
                raise Http404(gettext("Operation not found.")) from None
            # Without the list's order: sorting one row compiles the order and its 119 columns for nothing.
            queryset = self._visible(request).select_related("created_by", "processed_by")
            try:
                cache[key] = queryset.get(**{field.name: value})
            except Operation.DoesNotExist:
                cache[key] = None
        if cache[key] is None:
            raise Http404(gettext("Operation not found."))
        return cache[key]

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if not request.user.has_perm("operations.view_all_operations"):
            filters = [f for f in filters if not (isinstance(f, tuple) and f[0] == "trader")]
        return filters

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not request.user.has_perm("operations.view_all_operations"):
            columns.remove("trader_name")  # always the user itself
        return columns

    def has_delete_permission(self, request, obj=None):
        return False  # operations are cancelled, never deleted, whoever asks

    # --- form ---
    def get_form(self, request, obj=None, change=False, **kwargs):
        base = op_forms.OperationChangeForm if obj else op_forms.OperationAddForm
        kwargs["form"] = type(base.__name__, (base,), {"user": request.user})
        if obj is not None:
            editable = ("amount_usd", "rate", "notes")
            kwargs["fields"] = [f for f in editable if f not in self.get_readonly_fields(request, obj)]
        form = super().get_form(request, obj, change=change, **kwargs)
        client = form.base_fields.get("client")
        if client is not None and hasattr(client.widget, "can_add_related"):
            # Pick an existing Activo client; registering one is the clients screen's job.
            client.widget.can_add_related = client.widget.can_change_related = client.widget.can_view_related = False
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ("client", "type", ("amount_usd", "rate"), "pen_preview", "confirm_rate")}),
                (_("Client's accounts"), {"fields": ("source_account", "destination_account")}),
                (None, {"fields": ("notes",)}),
            ]
        editable = policy.can_edit_amount(request.user, obj)
        amounts = ["type_display", "amount_usd" if editable else "usd_ro", "rate" if editable else "rate_ro", "pen_ro"]
        if policy.sees_operation_cost(request.user):
            amounts += ["base_rate_ro", "profit_ro"]
        sets = [
            (None, {"fields": ("client_link", tuple(amounts[:2]), tuple(amounts[2:4]))}),
            (_("Client's accounts (as chosen at creation)"), {"fields": ("source_display", "destination_display")}),
            (
                _("Follow-up"),
                {
                    "fields": (
                        ("trader_ro", "created_by_ro", "created_at_ro"),
                        ("operator_ro", "sent_ro"),
                        ("processed_by_ro", "completed_ro"),
                        "cancelled_ro",
                    )
                },
            ),
            (None, {"fields": ("notes",)}),
        ]
        if len(amounts) > 4:
            sets[0][1]["fields"] += (tuple(amounts[4:]),)
        return sets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("pen_preview",)
        fields = [
            "client_link",
            "type_display",
            "usd_ro",
            "rate_ro",
            "pen_ro",
            "base_rate_ro",
            "profit_ro",
            "source_display",
            "destination_display",
            "trader_ro",
            "created_by_ro",
            "created_at_ro",
            "operator_ro",
            "sent_ro",
            "processed_by_ro",
            "completed_ro",
            "cancelled_ro",
        ]
        if not policy.can_edit_amount(request.user, obj):
            fields += ["amount_usd", "rate"]
        if not policy.can_edit_notes(request.user, obj):
            fields.append("notes")
        return fields

    def get_inline_instances(self, request, obj=None):
        if obj is None:  # deposits and payouts come after the operation exists
            return []
        return super().get_inline_instances(request, obj)

    @admin.display(description=_("PEN amount (preview)"))
    def pen_preview(self, obj):
        return format_html(
            '<output id="op-pen-preview" class="op-preview" aria-live="polite">{}</output><div class="help">{}</div>',
            "—",
            gettext("USD × rate, rounded to the cent. The amount recorded is the one the server computes."),
        )

    @admin.display(description=_("amount USD"))
    def usd_ro(self, obj):
        return display.money(obj.amount_usd, Currency.USD)

    @admin.display(description=_("exchange rate"))
    def rate_ro(self, obj):
        return display.rate(obj.rate)

    @admin.display(description=_("amount PEN"))
    def pen_ro(self, obj):
        return display.money(obj.amount_pen, Currency.PEN)

    @admin.display(description=_("base rate"))
    def base_rate_ro(self, obj):
        return display.rate(obj.base_rate)

    @admin.display(description=_("profit PEN"))
    def profit_ro(self, obj):
        return display.money(obj.profit_pen, Currency.PEN)

    @admin.display(description=_("account executive"))
    def trader_ro(self, obj):
        return person(obj.trader)

    @admin.display(description=_("created by"))
    def created_by_ro(self, obj):
        return person(obj.created_by)

    @admin.display(description=_("created at"))
    def created_at_ro(self, obj):
        return display.datetime(obj.created_at)

    @admin.display(description=_("operator"))
    def operator_ro(self, obj):
        if obj.assigned_operator is None and obj.status == OperationStatus.IN_PROCESS:
            return gettext("Unassigned (a supervisor must process it)")
        return person(obj.assigned_operator)

    @admin.display(description=_("sent to process at"))
    def sent_ro(self, obj):
        return display.datetime(obj.sent_to_process_at)

    @admin.display(description=_("processed by"))
    def processed_by_ro(self, obj):
        return person(obj.processed_by)

    @admin.display(description=_("completed at"))
    def completed_ro(self, obj):
        return display.datetime(obj.completed_at)

    @admin.display(description=_("cancelled at"))
    def cancelled_ro(self, obj):
        return display.datetime(obj.cancelled_at)

    @admin.display(description=_("client"))
    def client_link(self, obj):
        url = reverse("admin:clients_client_change", args=[obj.client_id])
        return format_html(
            '<a href="{}">{}</a> · {} {}',
            url,
            obj.client.display_name,
            obj.client.document_type,
            obj.client.document_number,
        )

    @staticmethod
    def _snapshot(value):
        # Display methods get no request: the current user comes from the request context (per thread).
        user = context.get().user
        if user is not None and user.has_perm("clients.view_full_accounts"):
            return value
        return mask_snapshot(value)

    @admin.display(description=_("client's source account"))
    def source_display(self, obj):
        return self._snapshot(obj.source_snapshot)

    @admin.display(description=_("client's destination account"))
    def destination_display(self, obj):
        return self._snapshot(obj.destination_snapshot)

    # --- pages ---
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        if object_id:
            op = self.get_object(request, unquote(object_id))
            context.update(views.change_form_context(request, op))
            context.update(compliance_context(request, op))
        else:
            context.update(views.add_form_context(request))
        return super().changeform_view(request, object_id, form_url, context)

    def message_user(self, request, message, *args, **kwargs):
        # Django's Spanish messages assume a masculine model name ("El operación …").
        fixed = str(message)
        for wrong, right in (
            ("El operación", "La operación"),
            ("editarlo", "editarla"),
            ("agregar otro", "agregar otra"),
        ):
            fixed = fixed.replace(wrong, right)
        if isinstance(message, SafeString):
            fixed = mark_safe(fixed)  # noqa: S308 - same already-escaped text, words swapped
        return super().message_user(request, fixed, *args, **kwargs)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("client-accounts/", wrap(self.client_accounts_view), name="operations_operation_client_accounts"),
            path(
                "<int:pk>/transition/<slug:action>/",
                wrap(self.transition_view),
                name="operations_operation_transition",
            ),
            path("void/<slug:kind>/<int:pk>/", wrap(self.void_view), name="operations_operation_void"),
            *super().get_urls(),
        ]

    def client_accounts_view(self, request):
        return views.client_accounts(request)

    def transition_view(self, request, pk, action):
        return views.transition(request, self, str(pk), action)

    def void_view(self, request, kind, pk):
        return views.void_movement(request, self, kind, pk)

    # --- saving through the services ---
    def save_via_service(self, request, form, formsets, change):
        by = request.user
        if not change:
            data = form.cleaned_data
            op = services.create_operation(
                by=by,
                client=data["client"],
                type=data["type"],
                amount_usd=data["amount_usd"],
                rate=data.get("rate"),
                source_account=data["source_account"],
                destination_account=data["destination_account"],
                notes=data.get("notes", ""),
            )
            for field in Operation._meta.concrete_fields:  # the admin logs and redirects to form.instance
                setattr(form.instance, field.attname, getattr(op, field.attname))
            form.instance._state.adding = False
            return op
        op = form.instance
        if "rate" in form.changed_data:
            services.update_rate(op, by=by, rate=form.cleaned_data["rate"])
        if "amount_usd" in form.changed_data:
            services.update_amount(op, by=by, amount_usd=form.cleaned_data["amount_usd"])
        if "notes" in form.changed_data:
            services.update_notes(op, by=by, notes=form.cleaned_data["notes"])
        for formset in formsets:
            if formset.model is FundsDeclaration:
                save_declaration(formset, op, by)
            elif issubclass(formset.model, Movement):
                self._save_movements(formset, op, by)
        return op

    @staticmethod
    def _save_movements(formset, op, by):
        """Each changed deposit/payout row through the service; a refusal is shown on its row."""
        # The admin's change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:  # no deleted forms: rows are voided on their own page, never deleted
            if not row.has_changed():
                continue
            try:
                if row.instance.pk:
                    fields = {k: row.cleaned_data.get(k) for k in row.changed_data if k in row.cleaned_data}
                    saved = services.update_movement(row.instance, by=by, **fields)
                    formset.changed_objects.append((saved, row.changed_data))
                else:
                    fields = {k: v for k, v in row.cleaned_data.items() if k not in ("DELETE", "id", "operation")}
                    formset.new_objects.append(services.add_movement(op, formset.model, by=by, **fields))
            except ValidationError as exc:
                errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
                raise ValidationError({row_error_key(row, key): value for key, value in errors.items()}) from exc

    def response_add(self, request, obj, post_url_continue=None):
        # After creating, staff continue on the operation to register the deposits.
        if "_addanother" not in request.POST and "_popup" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return super().response_add(request, obj, post_url_continue)
