"""What the private storage holds: files and bytes by kind, and the provider's own figure.

Sizes come from what was recorded at upload (`PrivateFile.size`, `BackupRecord.size`), so the
report costs no call per file; a row stored before sizes were recorded is measured once in storage
and its size saved. On Cloudinary the Admin API's usage (everything the account holds, derived
images included) is what the plan's 25 GB counts, so that figure decides the alert.
"""

import logging

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qoricash import display
from qoricash.files import PrivateFile
from qoricash.models import BackupRecord, StorageUsage
from qoricash.recovery import RecoveryError, archive

log = logging.getLogger(__name__)

ALERT_KIND = "storage_full"

# Kinds by the first folder of the storage key (PrivateFile.upload_folder).
KINDS = {
    "client-documents": gettext_lazy("client documents"),
    "vouchers": gettext_lazy("vouchers"),
    "backups": gettext_lazy("backups"),
}
BACKFILL_LIMIT = 500


def private_file_models():
    return [m for m in apps.get_models() if issubclass(m, PrivateFile) and not m._meta.abstract]


def kind_of(model):
    folder = model.upload_folder.split("/", 1)[0]
    return folder


def backfill_sizes(limit=BACKFILL_LIMIT):
    """Measure in storage the files stored without a recorded size; return how many were filled."""
    filled = 0
    st = archive.storage()
    for model in private_file_models():
        for pk, name in model.objects.filter(size__isnull=True).exclude(file="").values_list("pk", "file")[:limit]:
            try:
                size = st.size(name)
            except Exception:
                log.warning("Could not measure %s %s in storage", model._meta.label, pk, exc_info=True)
                continue
            model.objects.filter(pk=pk, size__isnull=True).update(size=size)
            filled += 1
    return filled


def recorded_by_kind():
    """{kind folder: {"files": n, "bytes": b, "unknown": files without a recorded size}}."""
    kinds = {}
    for model in private_file_models():
        agg = model.objects.exclude(file="").aggregate(
            files=Count("pk"), bytes=Sum("size"), unknown=Count("pk", filter=Q(size__isnull=True))
        )
        row = kinds.setdefault(kind_of(model), {"files": 0, "bytes": 0, "unknown": 0})
        for key in row:
            row[key] += agg[key] or 0
    stored = BackupRecord.objects.filter(uploaded_at__isnull=False)
    agg = stored.aggregate(files=Count("pk"), bytes=Sum("size"))
    kinds["backups"] = {"files": agg["files"] or 0, "bytes": agg["bytes"] or 0, "unknown": 0}
    return kinds


def provider_bytes():
    """The provider's count of bytes stored, where it has one (Cloudinary's Admin API), else None."""
    if settings.STORAGE_BACKEND != "cloudinary":
        return None
    import cloudinary.api

    try:
        usage = cloudinary.api.usage()
        return int(usage["storage"]["usage"])
    except Exception as exc:
        raise RecoveryError(_("Cloudinary did not report its usage: %(error)s") % {"error": exc}) from exc


def label(kind):
    return capfirst(str(KINDS.get(kind, kind)))


def alert_text(snapshot):
    subject = _("File storage at %(used)s of the %(limit)s alert threshold") % {
        "used": display.filesize(snapshot.used_bytes),
        "limit": display.filesize(snapshot.alert_bytes),
    }
    body = _(
        "The private file storage (%(backend)s) holds %(used)s; the alert threshold is %(limit)s.\n\n"
        "Before it fills up: check the usage with `python manage.py storage_report`, then upgrade the plan or "
        "move the files to S3 with `python manage.py migrate_media --to s3` (docs/contingencia.md, "
        "'Cloudinary lleno')."
    ) % {
        "backend": snapshot.backend,
        "used": display.filesize(snapshot.used_bytes),
        "limit": display.filesize(snapshot.alert_bytes),
    }
    return subject, body


def take_snapshot(*, say=print):
    """Measure, keep the figures (the Master's index shows them) and alert the Masters when over."""
    filled = backfill_sizes()
    if filled:
        say(_("Sizes measured in storage for %(n)s files stored before sizes were recorded.") % {"n": filled})
    kinds = recorded_by_kind()
    provider_error = None
    try:
        provider = provider_bytes()
    except RecoveryError as exc:
        provider, provider_error = None, exc
    snapshot = StorageUsage(
        backend=settings.STORAGE_BACKEND,
        recorded_bytes=sum(k["bytes"] for k in kinds.values()),
        provider_bytes=provider,
        alert_bytes=settings.STORAGE_ALERT_BYTES,
        by_kind=kinds,
    )
    with transaction.atomic():
        if snapshot.over_threshold:
            from qoricash.alerts import alert_masters

            subject, body = alert_text(snapshot)
            snapshot.alerted = alert_masters(ALERT_KIND, subject, body) is not None
        snapshot.taken_at = timezone.now()
        snapshot.save()
    return snapshot, provider_error
