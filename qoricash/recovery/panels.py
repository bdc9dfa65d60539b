"""The Master's index panel: last good backup, last verification, storage usage; red when stale."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from qoricash.models import BackupRecord, StorageUsage


def recovery_panel(request):
    if not request.user.has_perm("qoricash.view_backup_status"):
        return None
    now = timezone.now()
    last = BackupRecord.objects.order_by("-created_at").first()
    last_verify = BackupRecord.objects.filter(verified_at__isnull=False).order_by("-verified_at").first()
    usage = StorageUsage.objects.order_by("-taken_at").first()
    stale_hours = settings.BACKUP_STALE_HOURS
    backup_stale = last is None or now - last.created_at > timedelta(hours=stale_hours)
    verify_failed = last_verify is not None and not last_verify.verified_ok
    storage_over = usage is not None and usage.over_threshold
    return {
        "last": last,
        "last_offsite": last is not None and last.uploaded_at is not None,
        "last_verify": last_verify,
        "stale_hours": stale_hours,
        "backup_stale": backup_stale,
        "verify_failed": verify_failed,
        "usage": usage,
        "usage_percent": round(100 * usage.used_bytes / usage.alert_bytes) if usage and usage.alert_bytes else None,
        "storage_over": storage_over,
        "alarm": backup_stale or verify_failed or storage_over,
    }
