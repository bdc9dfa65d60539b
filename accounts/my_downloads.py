""" "Mis descargas": the user's own background exports (qoricash.background_exports), newest first.

Only the owner ever sees a file here, whatever their role; a ready file links to the
permission-checked download view (which applies the same rule and records the download).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from qoricash.downloads import private_file_url
from qoricash.models import ExportFile

PERMISSION = "qoricash.view_exportfile"
SHOWN = 50


def my_downloads(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    now = timezone.now()
    exports = list(ExportFile.objects.mine(request.user).order_by("-created_at", "-id")[:SHOWN])
    for export in exports:
        export.expired = export.status == ExportFile.Status.EXPIRED or (
            export.status == ExportFile.Status.READY and export.expires_at <= now
        )
        ready = export.status == ExportFile.Status.READY and not export.expired
        export.url = private_file_url(export) if ready else ""
    context = {
        **admin.site.each_context(request),
        "title": _("My downloads"),
        "exports": exports,
        "Status": ExportFile.Status,
    }
    return TemplateResponse(request, "accounts/my_downloads.html", context)
