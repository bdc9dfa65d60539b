"""The register page "Registro de operaciones (UIF)" and its Excel file (routed from reports.registry).

Both need operations.review_compliance (the compliance officer and the Master) and leave an audit entry.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from . import services, uif
from .audit_actions import ReportAction
from .views import _spool, _xlsx_response

PERMISSION = "operations.review_compliance"
SCREEN_ROWS = 500


def _month(request):
    try:
        return uif.parse_month(request.GET.get("month")), None
    except ValidationError as exc:
        return uif.parse_month(""), " ".join(exc.messages)


def register_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    month, error = _month(request)
    if error:
        messages.error(request, error)
    operations = uif.register_operations(month)
    total = operations.count()
    rows = [
        {"op": op, "kind": uif.register_kind(op), "who": uif.client_identity(op.client), "origin": uif.origin_text(op)}
        for op in operations[:SCREEN_ROWS]
    ]
    for row in rows:
        row["url"] = reverse("admin:operations_operation_change", args=[row["op"].pk])
    services.record_report_access(
        ReportAction.UIF_REGISTER_VIEWED, _("UIF register viewed: %(month)s") % {"month": month.value}, by=request.user
    )
    context = {
        **admin.site.each_context(request),
        "title": _("Operations register (UIF)"),
        "month": month,
        "rows": rows,
        "total": total,
        "truncated": total > len(rows),
        "xlsx_url": reverse("admin:reports_uif_register_xlsx") + f"?month={month.value}",
        "single_threshold": uif.compliance.single_threshold(),
        "monthly_threshold": uif.compliance.monthly_threshold(),
    }
    return TemplateResponse(request, "reports/uif_register.html", context)


def register_xlsx(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    month, error = _month(request)
    if error:
        messages.error(request, error)
        return HttpResponseRedirect(reverse("admin:reports_uif_register"))
    tmp, count = _spool(lambda f: uif.write_register(uif.register_operations(month), f))
    name = uif.filename(month)
    services.record_report_access(
        ReportAction.UIF_REGISTER_EXPORTED,
        _("UIF register Excel %(file)s: %(count)s operations of %(month)s")
        % {"file": name, "count": count, "month": month.value},
        by=request.user,
    )
    return _xlsx_response(tmp, name)
