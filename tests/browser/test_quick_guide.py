"""The staff's one-page quick guide: screenshots of the real screens over the demo data, assembled
into docs/guia-rapida.pdf from docs/guia-rapida.html.

Every run checks the screens the guide shows (and writes the screenshots to test-artifacts);
`make guide` runs it with GUIDE_DIR=docs, which also refreshes docs/img/guia-*.png and the PDF, so
the guide follows the screens whenever they change. docs/manual.md shows the same images.
"""

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import demo as accounts_demo
from operations.models import Operation, OperationStatus
from qoricash.models import BackupRecord, StorageUsage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
PASSWORDS = {username: password for username, _role, _f, _l, password in accounts_demo.DEMO_USERS}
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def demo_data(settings, tmp_path):
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    now = timezone.now()
    BackupRecord.objects.create(
        name="qoricash_20261130_020000.dump", created_at=now - timedelta(hours=5), size=210_000, sha256="0" * 64,
        total_rows=2969, uploaded_at=now - timedelta(hours=5), verified_at=now - timedelta(hours=2), verified_ok=True,
    )  # fmt: skip
    StorageUsage.objects.create(backend="cloudinary", recorded_bytes=3 * 1024**3, provider_bytes=4 * 1024**3,
                                alert_bytes=20 * 1024**3)  # fmt: skip


@pytest.fixture
def out_dir(screenshot_dir):
    """docs/ when building the guide (make guide), else the test artifacts."""
    target = os.environ.get("GUIDE_DIR")
    return Path(target).resolve() if target else screenshot_dir


def shot(page, folder, name):
    images = folder / "img" if folder.name == "docs" else folder
    images.mkdir(parents=True, exist_ok=True)
    path = images / f"guia-{name}.png"
    page.screenshot(path=str(path))
    return path


def test_quick_guide(browser, live_server, admin_login, demo_data, out_dir):
    context = browser.new_context(viewport=LAPTOP, locale="es-PE")
    page = context.new_page()
    shots = []

    page.goto(f"{live_server.url}/admin/login/")
    assert page.locator("#id_username").is_visible()
    shots.append(shot(page, out_dir, "1-ingreso"))

    admin_login(page, "master", PASSWORDS["master"])
    panel = page.locator("#recovery-panel")
    assert panel.is_visible() and "Último respaldo" in panel.inner_text()
    assert "qc-recovery-alarm" not in (panel.get_attribute("class") or "")
    panel.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    shots.append(shot(page, out_dir, "2-panel-master"))
    context.clear_cookies()

    admin_login(page, "trader", PASSWORDS["trader"])
    page.goto(f"{live_server.url}/admin/operations/operation/add/")
    assert page.locator("form").first.is_visible()
    shots.append(shot(page, out_dir, "3-nueva-operacion"))
    context.clear_cookies()

    admin_login(page, "operador", PASSWORDS["operador"])
    op = Operation.objects.filter(status=OperationStatus.IN_PROCESS, assigned_operator__username="operador").first()
    assert op is not None
    page.goto(f"{live_server.url}/admin/operations/operation/{op.pk}/change/")
    assert op.code in page.content()
    shots.append(shot(page, out_dir, "4-completar-operacion"))

    if os.environ.get("GUIDE_DIR"):
        guide = context.new_page()
        guide.goto((out_dir / "guia-rapida.html").as_uri())
        guide.wait_for_load_state("load")
        guide.pdf(path=str(out_dir / "guia-rapida.pdf"), format="A4", print_background=True, prefer_css_page_size=True)
        assert (out_dir / "guia-rapida.pdf").stat().st_size < 1_500_000
    context.close()
    assert all(p.stat().st_size > 10_000 for p in shots)
