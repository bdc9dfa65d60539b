"""Exports too large for a request: built by the task worker, kept as a private file for their owner.

An app registers each export it offers (`register(kind, title=..., path=..., build=...)`) from its
registry.py. Its view counts the rows first; above `settings.EXPORT_SYNC_MAX_ROWS` it calls
`start(kind, user=..., query=..., rows=...)` instead of writing the file, tells the user so and
returns at once. `start` records an `ExportFile` (status "being prepared") and enqueues
`build_export` with django-tasks after commit. The worker (`manage.py db_worker`) replays the
request's filters as the same user, so the file holds exactly the rows the list showed, stores it
in the private storage and e-mails the owner through the outbox. The file is listed under
"Mis descargas" for its owner only, downloaded through the permission-checked view (audited), and
deleted after `settings.EXPORT_FILE_DAYS` days by `manage.py purge_expired_exports`.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from qoricash.models import ExportFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportKind:
    kind: str
    title: str  # what the file is, as the user reads it ("Historial de operaciones"); may be lazy
    url_name: str  # the admin list the filters belong to (its path is the replayed request's)
    # build(request, target) writes the file for request.user and request.GET; returns (rows, filename).
    # A callable or its dotted path.
    build: object


_kinds: dict[str, ExportKind] = {}


def register(kind, *, title, url_name, build):
    _kinds[kind] = ExportKind(kind, title, url_name, build)


def kinds() -> dict[str, ExportKind]:
    return dict(_kinds)


def sync_limit() -> int:
    return settings.EXPORT_SYNC_MAX_ROWS


def too_large_for_a_request(queryset) -> bool:
    """Whether the selection has more rows than a request may export; counts at most limit + 1 rows."""
    limit = sync_limit()
    return queryset.order_by()[: limit + 1].count() > limit


def started_message():
    """What the user reads when the export goes to the background."""
    return _(
        "This export has more than %(limit)s rows, so it is prepared in the background. You will find it "
        "under “My downloads” and we will e-mail you when it is ready."
    ) % {"limit": f"{sync_limit():,}"}


def start(kind, *, user, query="", rows=None) -> ExportFile:
    """Record the export for `user` and have the worker build it once the current transaction commits."""
    spec = _kinds[kind]
    export = ExportFile.objects.create(owner=user, kind=kind, title=str(spec.title), query=query, rows=rows)
    transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _enqueue(export_id):
    result = build_export.enqueue(export_id)
    # The immediate backend (tests) has already run the task, which may have saved the row since.
    ExportFile.objects.filter(pk=export_id, task_id="").update(task_id=str(result.id)[:64])


def replay_request(user, path, query) -> HttpRequest:
    """A GET request as `user` made it, so the list's own filters and search select the same rows."""
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.GET = QueryDict(query or "")
    request.META.update({"SERVER_NAME": "worker", "SERVER_PORT": "443", "QUERY_STRING": query or ""})
    request.user = user
    return request


@task()
def build_export(export_id: int) -> None:
    export = ExportFile.objects.select_related("owner").filter(pk=export_id).first()
    if export is None or export.status != ExportFile.Status.PREPARING:
        return  # already built (a retried task) or gone
    run(export)


def run(export: ExportFile, now=None) -> ExportFile:
    """Build one export now (the task's body). A failure marks it failed with a Spanish message."""
    spec = _kinds.get(export.kind)
    user = get_user_model().objects.get(pk=export.owner_id)
    try:
        if spec is None:
            raise LookupError(f"unknown export kind {export.kind!r}")
        if not user.is_active:
            raise PermissionError("the user who asked for the export is no longer active")
        with tempfile.TemporaryFile(suffix=".xlsx") as tmp:
            path = reverse(f"admin:{spec.url_name}")
            build = import_string(spec.build) if isinstance(spec.build, str) else spec.build
            rows, filename = build(replay_request(user, path, export.query), tmp)
            tmp.seek(0)
            finished = now or timezone.now()
            export.file = File(tmp, name=filename)
            export.rows = rows
            export.status = ExportFile.Status.READY
            export.finished_at = finished
            export.expires_at = finished + dt.timedelta(days=settings.EXPORT_FILE_DAYS)
            with transaction.atomic():
                export.save()  # stores the file in the private storage first (PrivateFile.save)
                _notify(export)
    except Exception:
        log.exception("Background export %s (%s) for %s failed", export.pk, export.kind, user.get_username())
        ExportFile.objects.filter(pk=export.pk).update(
            status=ExportFile.Status.FAILED,
            finished_at=now or timezone.now(),
            error=_("The file could not be prepared. Ask for it again; if it fails again, tell the administrator."),
        )
        export.refresh_from_db()
    return export


def _notify(export):
    """E-mail the owner that the file is ready: an outbox message in the transaction that marks it ready."""
    from django.utils import translation

    from qoricash import display
    from qoricash.outbox.queue import enqueue

    owner = export.owner
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your file “%(title)s” is ready") % {"title": export.title}
        until = display.date(timezone.localtime(export.expires_at).date())
    enqueue(
        "export_ready",
        to=owner.email,
        subject=subject,
        template="qoricash/email/export_ready",
        context={"name": owner.display_name, "title": export.title, "rows": export.rows or 0, "until": until},
        related=export,
    )


def purge_expired(now=None) -> int:
    """Delete the stored files of expired exports (the rows stay, marked expired); returns how many."""
    now = now or timezone.now()
    count = 0
    for export in ExportFile.objects.filter(status=ExportFile.Status.READY, expires_at__lte=now).iterator():
        if export.file:
            export.file.delete(save=False)
        ExportFile.objects.filter(pk=export.pk).update(status=ExportFile.Status.EXPIRED, file="")
        count += 1
    return count
