"""Index panel of treasury: the payouts of operations in process that the balances do not cover."""

from django.urls import reverse

from operations import treasury


def coverage_panel(request):
    if not request.user.has_perm("operations.view_treasury"):
        return None
    warnings = treasury.coverage_warnings()
    if not warnings:
        return None
    return {"warnings": warnings, "url": reverse("admin:operations_treasury")}
