"""In Chromium: a closed operation offers no "add" link on its deposit and payout rows; an open one
offers one that works (no JavaScript error either way)."""

import pytest

from clients.tests.factories import active_client
from operations.models import OperationStatus
from operations.tests.factories import OperationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visible_add_links(page):
    return [a.inner_text() for a in page.locator(".add-row a").all() if a.is_visible()]


def test_no_add_link_on_a_completed_operation_and_a_working_one_on_a_pending_one(
    live_server, page, admin_login, master, trader, screenshot_dir
):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    client = active_client(owner=trader)
    closed = OperationFactory(client=client, status=OperationStatus.COMPLETED)
    open_ = OperationFactory(client=client, status=OperationStatus.PENDING)
    admin_login(page, master.username)

    page.goto(f"{live_server.url}/admin/operations/operation/{closed.pk}/change/")
    page.screenshot(path=str(screenshot_dir / "operations-closed-no-add-link.png"), full_page=True)
    assert visible_add_links(page) == []

    page.goto(f"{live_server.url}/admin/operations/operation/{open_.pk}/change/")
    # The deposits' own link: the origin-of-funds block above it has an "add" link of its own.
    link = page.locator("#deposits-group .add-row a")
    assert link.is_visible(), "a pending operation can receive deposits"
    rows_before = page.locator("#deposits-group tr.form-row").count()
    link.click()
    assert page.locator("#deposits-group tr.form-row").count() == rows_before + 1
    assert errors == []
