"""The TraderGoal admin (report pages, panels and buttons are declared in reports/registry.py)."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qoricash import display
from qoricash.admin_services import ServiceAdminMixin

from . import services
from .models import TraderGoal


class TraderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class TraderGoalForm(forms.ModelForm):
    class Meta:
        model = TraderGoal
        fields = ("trader", "year", "month", "goal_pen")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "trader" in self.fields:
            self.fields["trader"] = TraderChoiceField(
                queryset=services.goal_eligible_traders(),
                label=TraderGoal._meta.get_field("trader").verbose_name,
                help_text=_("Active users who create operations on their own portfolio."),
            )


@admin.register(TraderGoal)
class TraderGoalAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = TraderGoalForm
    list_display = ("trader", "period", "goal_display", "achieved_display", "progress_display", "set_by_name")
    list_filter = ("year", "month")
    search_fields = ("trader__username", "trader__first_name", "trader__last_name")
    list_select_related = ("trader", "set_by")
    readonly_fields = ("achieved_display", "progress_display", "set_by", "updated_at")
    ordering = ("-year", "-month", "trader__username")

    class Media:
        css = {"all": ("reports/reports.css",)}

    def get_queryset(self, request):
        queryset = TraderGoal.objects.visible_to(request.user).select_related("trader", "set_by")
        return services.goals_with_progress(queryset)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("trader", "year", "month", "goal_pen")
        return ("trader", "year", "month", "goal_pen", "achieved_display", "progress_display", "set_by", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # A goal is one trader's one month: only the amount changes; another month is another goal.
        return ("trader", "year", "month", *self.readonly_fields)

    def get_changeform_initial_data(self, request):
        now = services.lima_now()
        return {"year": now.year, "month": now.month, **super().get_changeform_initial_data(request)}

    def has_delete_permission(self, request, obj=None):
        return False

    def save_via_service(self, request, form, formsets, change):
        # The rules (permission, eligible trader, fixed trader and month, the model's own) are the
        # service's; the form and the read-only fields above only show them earlier.
        return services.save_trader_goal(form.instance, by=request.user)

    @admin.display(description=_("set by"), ordering="set_by__first_name")
    def set_by_name(self, obj):
        return obj.set_by.display_name if obj.set_by_id else display.EMPTY

    @admin.display(description=_("period"), ordering="year")
    def period(self, obj):
        return obj.period_label

    @admin.display(description=_("goal (PEN profit)"), ordering="goal_pen")
    def goal_display(self, obj):
        return display.money(obj.goal_pen, "PEN")

    def _progress(self, obj):
        achieved = getattr(obj, "achieved", None)
        if achieved is None:
            achieved = services.trader_month_profit(obj.trader, obj.year, obj.month)
        return services.goal_progress(obj.goal_pen, achieved)

    @admin.display(description=pgettext_lazy("profit", "Realised profit"))
    def achieved_display(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return display.money(self._progress(obj)["achieved"], "PEN")

    @admin.display(description=_("progress"))
    def progress_display(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        progress = self._progress(obj)
        return format_html(
            '<span class="qc-nowrap"><span class="qc-goal-bar" title="{}%">'
            '<span style="width:{}%"></span></span> {}%</span>',
            progress["percent"],
            progress["bar"],
            progress["percent"],
        )
