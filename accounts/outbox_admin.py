"""The outbox in the admin: what was sent, to whom, and what failed (Masters: view_outboundemail).

Read-only; the one action is "Reenviar" (resend_outboundemail), through accounts.services. The
admin lives here because qoricash/ imports no app, while accounts may register a qoricash model.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import services
from qoricash import display
from qoricash.outbox import kinds
from qoricash.outbox.models import EmailStatus, OutboundEmail
from qoricash.paginator import EstimatedCountPaginator

STATUS_COLOURS = {
    EmailStatus.PENDING: "#8a6d3b",
    EmailStatus.SENDING: "#31708f",
    EmailStatus.SENT: "#3c763d",
    EmailStatus.FAILED: "#a94442",
}


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        # The registered kinds, not the table's distinct ones: the outbox keeps every message ever
        # sent, and reading them all on each visit would grow with it.
        return kinds.choices()

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("created_display", "kind_display", "subject", "to_display", "status_display", "attempts")
    list_filter = ("status", KindFilter)
    search_fields = ("to", "cc", "bcc", "related_label", "subject")
    list_select_related = ("related_type",)
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # Django's "Show counts" would count every choice of every filter over the whole outbox.
    show_facets = admin.ShowFacets.NEVER
    actions = ["resend"]
    fields = (
        "kind_display",
        "status_display",
        "subject",
        "to",
        "cc",
        "bcc",
        "related_display",
        "attachments_display",
        "created_display",
        "sent_display",
        "attempts",
        "next_attempt_display",
        "last_error",
        "message_html",
        "message_text",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("qoricash.resend_outboundemail")

    @admin.action(description=_("Resend"), permissions=["resend"])
    def resend(self, request, queryset):
        try:
            count = services.resend_emails(list(queryset), by=request.user)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        skipped = queryset.count() - count
        text = gettext("E-mails queued again: %(n)s.") % {"n": count}
        if skipped > 0:
            text += " " + gettext("%(n)s still pending or being sent were left as they are.") % {"n": skipped}
        self.message_user(request, text, messages.SUCCESS if count else messages.WARNING)

    @admin.display(description=_("created at"), ordering="created_at")
    def created_display(self, obj):
        return display.datetime(obj.created_at)

    @admin.display(description=_("sent at"), ordering="sent_at")
    def sent_display(self, obj):
        return display.datetime(obj.sent_at)

    @admin.display(description=_("next attempt"))
    def next_attempt_display(self, obj):
        return display.datetime(obj.next_attempt_at) if obj.status == EmailStatus.PENDING else display.EMPTY

    @admin.display(description=_("kind"), ordering="kind")
    def kind_display(self, obj):
        return kinds.label(obj.kind)

    @admin.display(description=_("to"), ordering="to")
    def to_display(self, obj):
        return obj.to

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj):
        return format_html(
            '<strong style="color:{}">{}</strong>', STATUS_COLOURS.get(obj.status, "inherit"), obj.get_status_display()
        )

    @admin.display(description=_("related to"))
    def related_display(self, obj):
        if not obj.related_type_id:
            return display.EMPTY
        model = obj.related_type.model_class()
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.related_id])
        except (NoReverseMatch, AttributeError):
            return obj.related_label
        return format_html('<a href="{}">{}</a>', url, obj.related_label)

    @admin.display(description=_("attachments"))
    def attachments_display(self, obj):
        if not obj.attachments:
            return display.EMPTY
        return format_html_join(", ", "{}", ((a.get("filename", ""),) for a in obj.attachments))

    def _hidden(self, obj):
        return gettext("Not shown: the message carries a personal link (invitation or password).")

    @admin.display(description=_("message"))
    def message_html(self, obj):
        if obj.confidential:
            return self._hidden(obj)
        if not obj.body_html:
            return display.EMPTY
        # The stored HTML as the recipient saw it, isolated: sandboxed, no scripts, no same origin.
        return format_html(
            '<iframe sandbox="" srcdoc="{}" title="{}" style="width:640px;max-width:100%;height:520px;'
            'border:1px solid #ccc;background:#fff;"></iframe>',
            obj.body_html,
            obj.subject,
        )

    @admin.display(description=_("text version"))
    def message_text(self, obj):
        if obj.confidential:
            return self._hidden(obj)
        return format_html('<pre style="white-space:pre-wrap;max-width:640px;margin:0;">{}</pre>', obj.body_text)
