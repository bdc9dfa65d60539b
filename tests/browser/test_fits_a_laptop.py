"""Every page a role can open fits a 1366×768 laptop: no horizontal scroll, neither of the page nor
inside it (a list hiding columns behind an inner scrollbar counts as a failure too), and no status,
IP address or person's name in a list broken inside a word to make it fit.

The pages are the permission matrix's list (accounts.matrix): every admin URL the role may GET, with
the matrix test's sample objects, over the demo data (long names, every status), so lists are full.
"""

import io

import pytest
from django.core.management import call_command

from accounts import demo as accounts_demo
from accounts.models import User
from accounts.roles import ROLE_PERMISSIONS
from tests.test_permission_matrix import RULES, SAMPLES, url_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
# One demo user per role (the first one listed), with its password.
USERS = {}
for _username, _role, _first, _last, _password in accounts_demo.DEMO_USERS:
    USERS.setdefault(_role, (_username, _password))

# What scrolls sideways: the page itself, or any box that scrolls its own content sideways. A
# multiple <select> (the role's permission chooser) is a control, not the page's layout: skipped.
OVERFLOW = """() => {
  const doc = document.documentElement;
  const out = [];
  if (doc.scrollWidth > doc.clientWidth) out.push(`page ${doc.scrollWidth}px > ${doc.clientWidth}px`);
  for (const el of document.querySelectorAll("body *")) {
    const style = getComputedStyle(el);
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1
        && el.offsetParent !== null && el.tagName !== "SELECT") {
      out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} ${el.scrollWidth}px > ${el.clientWidth}px`);
    }
  }
  return out;
}"""


# Short values that read as one piece and must fit a laptop without breaking inside a word ("Activ|o",
# "127.0|.0.1"): the lists' long text may break anywhere to fit, these may not.
WHOLE_WORDS = """() => {
  const cells = document.querySelectorAll(
    "#result_list td.field-status_display, #result_list td.field-status_badge, #result_list td.field-ip,"
    + " .model-user #result_list td.field-full_name, .model-user #result_list td.field-roles,"
    + " .model-housebankaccount #result_list td.field-number, .model-housebankaccount #result_list td.field-cci");
  const out = [];
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) out.push(`${cell.className}: ${word[0]}`);
      }
    }
  }
  return out;
}"""


def pages_for(role, owner):
    for rule in RULES:
        if rule.method == "GET" and rule.ok == 200 and rule.allows(ROLE_PERMISSIONS[role]):
            yield rule, url_for(rule, owner)


@pytest.fixture
def demo_data(settings, tmp_path, monkeypatch):
    from reports.models import TraderGoal

    settings.DEBUG = True  # seed_demo refuses to run otherwise
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    # The demo already gives each trader this month's goal (one per month): open that one.
    monkeypatch.setitem(SAMPLES, "reports.tradergoal", lambda owner: TraderGoal.objects.filter(trader=owner).first())


@pytest.mark.parametrize("role", list(USERS))
def test_no_page_of_a_role_scrolls_sideways_at_1366(role, live_server, page, admin_login, demo_data, screenshot_dir):
    page.set_viewport_size(LAPTOP)
    username, password = USERS[role]
    admin_login(page, username, password)
    owner = User.objects.get(username="trader")
    failures, seen = [], 0
    for rule, url in pages_for(role, owner):
        response = page.request.get(f"{live_server.url}{url}")
        if response.status != 200 or not response.headers.get("content-type", "").startswith("text/html"):
            continue  # downloads and exports
        page.goto(f"{live_server.url}{url}")
        seen += 1
        overflow = page.evaluate(OVERFLOW) + [f"broken word {cell}" for cell in page.evaluate(WHOLE_WORDS)]
        if overflow:
            failures.append(f"{rule.key} {url}: {'; '.join(overflow[:3])}")
            page.screenshot(path=str(screenshot_dir / f"laptop-{role}-{rule.key}.png"), full_page=True)
    assert seen > 10, f"{role} opened only {seen} pages: the matrix's list was not walked"
    assert not failures, f"{role}: pages wider than a 1366 px laptop:\n" + "\n".join(failures)
