"""The Master's index panel: last good backup, last verification, storage usage; red when stale."""

from datetime import timedelta

from django.conf import settings
from django.db.models import BigIntegerField, BooleanField, CharField, DateTimeField, F, Subquery, Value
from django.db.models.functions import Cast
from django.utils import timezone

from qoricash.models import BackupRecord, StorageUsage


def _none(field):
    # Typed: PostgreSQL gives a bare NULL of a UNION's first branch the type text.
    return Cast(Value(None), output_field=field)


def _latest_rows():
    """(last backup, last verified backup, last storage report), each a model instance or None: the
    three newest rows of two tables as one UNION ALL (the index pays one query for this panel)."""
    backups = BackupRecord.objects.order_by()
    newest = backups.order_by("-created_at", "-id").values("pk")[:1]
    verified = backups.filter(verified_at__isnull=False).order_by("-verified_at", "-id").values("pk")[:1]

    def backup(kind, pick):
        return backups.filter(pk=Subquery(pick)).values(
            **{
                "p_kind": Value(kind, output_field=CharField()),
                "p_id": F("pk"),
                "p_at": F("created_at"),
                "p_uploaded": F("uploaded_at"),
                "p_verified": F("verified_at"),
                "p_ok": F("verified_ok"),
                "p_recorded": _none(BigIntegerField()),
                "p_provider": _none(BigIntegerField()),
                "p_alert": _none(BigIntegerField()),
            }
        )

    usage = StorageUsage.objects.order_by()
    last_usage = usage.order_by("-taken_at", "-id").values("pk")[:1]
    usage_row = usage.filter(pk=Subquery(last_usage)).values(
        **{
            "p_kind": Value("usage", output_field=CharField()),
            "p_id": F("pk"),
            "p_at": F("taken_at"),
            "p_uploaded": _none(DateTimeField()),
            "p_verified": _none(DateTimeField()),
            "p_ok": _none(BooleanField()),
            "p_recorded": F("recorded_bytes"),
            "p_provider": F("provider_bytes"),
            "p_alert": F("alert_bytes"),
        }
    )
    found = {}
    # values() rows of a union are named after the first query's columns: every branch uses the same.
    for values in backup("last", newest).union(backup("verify", verified), usage_row, all=True):
        kind = values["p_kind"]
        if kind == "usage":
            found[kind] = StorageUsage(
                pk=values["p_id"],
                taken_at=values["p_at"],
                recorded_bytes=values["p_recorded"],
                provider_bytes=values["p_provider"],
                alert_bytes=values["p_alert"],
            )
        else:
            found[kind] = BackupRecord(
                pk=values["p_id"],
                created_at=values["p_at"],
                uploaded_at=values["p_uploaded"],
                verified_at=values["p_verified"],
                verified_ok=values["p_ok"],
            )
    return found.get("last"), found.get("verify"), found.get("usage")


def recovery_panel(request):
    if not request.user.has_perm("qoricash.view_backup_status"):
        return None
    now = timezone.now()
    last, last_verify, usage = _latest_rows()
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
