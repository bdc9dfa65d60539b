"""storage_report: bytes by kind from recorded sizes, Cloudinary's own figure, the alert, the index panel."""

import io
import os
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from clients.models import ClientDocument
from clients.tests.factories import ClientDocumentFactory
from qoricash.models import BackupRecord, StorageUsage
from qoricash.outbox.models import OutboundEmail

os.environ.setdefault("CLOUDINARY_URL", "cloudinary://123:abc@demo")

pytestmark = pytest.mark.django_db
GB = 1024**3


@pytest.fixture
def alerts(master):
    """The storage alerts queued for the Masters (through the outbox), as (kind, subject, body)."""

    def queued():
        return [(m.kind, m.subject, m.body_text) for m in OutboundEmail.objects.filter(kind="alert.storage_full")]

    return queued


def report():
    out = io.StringIO()
    call_command("storage_report", stdout=out)
    return out.getvalue()


def test_bytes_by_kind_from_recorded_sizes(alerts):
    docs = ClientDocumentFactory.create_batch(2)
    BackupRecord.objects.create(
        name="qoricash_20261130_020000.dump", created_at=timezone.now(), size=5000, sha256="0" * 64,
        uploaded_at=timezone.now(),
    )  # fmt: skip
    out = report()
    usage = StorageUsage.objects.get()
    assert usage.by_kind["client-documents"] == {"files": 2, "bytes": sum(d.size for d in docs), "unknown": 0}
    assert usage.by_kind["backups"]["bytes"] == 5000
    assert usage.recorded_bytes == sum(d.size for d in docs) + 5000
    assert usage.provider_bytes is None and not usage.over_threshold and not alerts()
    assert "Documentos de clientes" in out or "client documents" in out


def test_missing_sizes_are_measured_once_in_storage(alerts):
    doc = ClientDocumentFactory()
    ClientDocument.objects.filter(pk=doc.pk).update(size=None)
    report()
    doc.refresh_from_db()
    assert doc.size == doc.file.size and doc.size > 0


def test_over_the_threshold_alerts_the_masters_once_a_day(alerts, settings, master):
    ClientDocumentFactory()
    settings.STORAGE_ALERT_BYTES = 10
    out = report()
    (alert,) = alerts()
    assert "migrate_media" in alert[2] and "umbral" in alert[1]
    assert OutboundEmail.objects.get(kind="alert.storage_full").to == master.email
    assert StorageUsage.objects.get().alerted is True
    report()
    assert len(alerts()) == 1
    assert StorageUsage.objects.order_by("-taken_at").first().alerted is False
    assert "UMBRAL" in out or "THRESHOLD" in out


def test_cloudinary_usage_from_its_admin_api_decides(alerts, settings):
    settings.STORAGE_BACKEND = "cloudinary"
    with mock.patch("cloudinary.api.usage", return_value={"storage": {"usage": 21 * GB}}) as usage_call:
        report()
    usage_call.assert_called_once()
    usage = StorageUsage.objects.get()
    assert usage.provider_bytes == 21 * GB and usage.over_threshold
    assert len(alerts()) == 1


def test_cloudinary_failure_is_reported_and_still_recorded(alerts, settings):
    import cloudinary.exceptions

    settings.STORAGE_BACKEND = "cloudinary"
    with (
        mock.patch("cloudinary.api.usage", side_effect=cloudinary.exceptions.Error("rate limited")),
        pytest.raises(CommandError, match="rate limited"),
    ):
        report()
    assert StorageUsage.objects.get().provider_bytes is None


# --- the Master's index panel -------------------------------------------------------------------
def test_panel_is_red_without_a_recent_backup(master_client):
    BackupRecord.objects.create(
        name="qoricash_20261101_020000.dump", created_at=timezone.now() - timedelta(hours=49), size=1,
        sha256="0" * 64, uploaded_at=timezone.now(),
    )  # fmt: skip
    page = master_client.get("/admin/").content.decode()
    assert 'id="recovery-panel"' in page and "qc-recovery-alarm" in page
    assert "48 horas" in page


def test_panel_is_green_with_a_fresh_verified_backup_and_shows_storage(master_client):
    now = timezone.now()
    BackupRecord.objects.create(
        name="qoricash_20261130_020000.dump", created_at=now - timedelta(hours=3), size=1, sha256="0" * 64,
        uploaded_at=now, verified_at=now, verified_ok=True,
    )  # fmt: skip
    StorageUsage.objects.create(backend="cloudinary", recorded_bytes=GB, provider_bytes=5 * GB, alert_bytes=20 * GB)
    page = master_client.get("/admin/").content.decode()
    assert 'id="recovery-panel"' in page and "qc-recovery-alarm" not in page
    assert "25%" in page


def test_panel_is_red_when_storage_passes_the_threshold(master_client):
    BackupRecord.objects.create(
        name="qoricash_20261130_020000.dump", created_at=timezone.now(), size=1, sha256="0" * 64,
    )  # fmt: skip
    StorageUsage.objects.create(backend="cloudinary", recorded_bytes=GB, provider_bytes=21 * GB, alert_bytes=20 * GB)
    page = master_client.get("/admin/").content.decode()
    assert "qc-recovery-alarm" in page and "contingencia" in page.lower()


def test_panel_is_for_masters_only(operador_client, trader_client):
    for client in (operador_client, trader_client):
        assert 'id="recovery-panel"' not in client.get("/admin/").content.decode()


def test_panel_reads_the_newest_backup_verification_and_report_in_one_query(master, rf, django_assert_num_queries):
    from qoricash.recovery.panels import recovery_panel

    now = timezone.now()
    request = rf.get("/admin/")
    request.user = master
    master.has_perm("qoricash.view_backup_status")  # the user's permissions are read once per request
    with django_assert_num_queries(1):
        ctx = recovery_panel(request)
    assert ctx["last"] is None and ctx["last_verify"] is None and ctx["usage"] is None and ctx["alarm"]
    verified = BackupRecord.objects.create(
        name="qoricash_20261129_020000.dump", created_at=now - timedelta(hours=27), size=1, sha256="0" * 64,
        verified_at=now - timedelta(hours=20), verified_ok=False,
    )  # fmt: skip
    newest = BackupRecord.objects.create(
        name="qoricash_20261130_020000.dump", created_at=now - timedelta(hours=3), size=1, sha256="0" * 64,
        uploaded_at=now,
    )  # fmt: skip
    StorageUsage.objects.create(backend="s3", taken_at=now - timedelta(days=2), recorded_bytes=GB, alert_bytes=GB)
    StorageUsage.objects.create(backend="s3", taken_at=now, recorded_bytes=GB, alert_bytes=4 * GB)
    with django_assert_num_queries(1):
        ctx = recovery_panel(request)
    assert ctx["last"].pk == newest.pk and ctx["last"].created_at == newest.created_at and ctx["last_offsite"]
    assert ctx["last_verify"].pk == verified.pk and ctx["verify_failed"]
    assert ctx["usage_percent"] == 25 and not ctx["storage_over"]
    assert ctx["alarm"] and not ctx["backup_stale"]
