"""Login rate limiting: per username and per client IP, 429 with the Spanish page, library clock frozen."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from accounts.audit_actions import AccountAction
from accounts.models import AuditEntry
from qoricash.net import client_ip

LOGIN = "/admin/login/"
T0 = 1_800_000_000  # a fixed instant; windows are computed from the library's clock only


@pytest.fixture(autouse=True)
def _clean_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """Freeze django_ratelimit.core.time (fixed windows flake when a test straddles an edge)."""
    import django_ratelimit.core as core

    class Clock:
        now = float(T0)

        def time(self):
            return self.now

    c = Clock()
    monkeypatch.setattr(core, "time", c)
    return c


def _post(client, username, password, ip="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_sixth_wrong_password_for_one_username_gets_429_then_login_works_after_window(client, trader, clock):
    for attempt in range(5):
        response = _post(client, trader.username, f"wrong-password-{attempt}")
        assert response.status_code == 200, attempt  # the form again, with the error
    blocked = _post(client, trader.username, "wrong-password-6")
    assert blocked.status_code == 429
    text = blocked.content.decode()
    assert "intentos" in text.lower()
    assert blocked["Retry-After"] == "60"
    # Even the right password is refused inside the window (the point of the limit)...
    assert _post(client, trader.username, "a-strong-test-password").status_code == 429
    # ...and accepted in the next one.
    clock.now += 61
    ok = _post(client, trader.username, "a-strong-test-password")
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert AuditEntry.objects.filter(action=AccountAction.LOGIN_BLOCKED, object_repr=trader.username).count() == 2
    assert AuditEntry.objects.filter(action=AccountAction.LOGIN, actor=trader).count() == 1


@pytest.mark.django_db
def test_username_limit_ignores_case_and_spaces(client, trader, clock):
    for name in ["t_trader", "T_TRADER", " t_trader ", "T_trader", "t_Trader"]:
        assert _post(client, name, "nope-nope-nope").status_code == 200
    assert _post(client, "t_TRADER", "nope-nope-nope").status_code == 429


@pytest.mark.django_db
def test_ip_limit_counts_across_usernames(client, db, clock):
    for i in range(10):
        assert _post(client, f"someone{i}", "x" * 12).status_code == 200
    assert _post(client, "someone-else", "x" * 12).status_code == 429
    # Another client address is not affected.
    assert _post(client, "someone-else", "x" * 12, ip="198.51.100.9").status_code == 200


@pytest.mark.django_db
def test_limits_are_configurable(client, trader, clock, settings):
    settings.RATELIMIT_LOGIN_USER = "2/m"
    assert _post(client, trader.username, "bad-password-1").status_code == 200
    assert _post(client, trader.username, "bad-password-2").status_code == 200
    assert _post(client, trader.username, "bad-password-3").status_code == 429


@pytest.mark.django_db
def test_get_of_the_login_page_is_not_counted(client, clock):
    for _ in range(30):
        assert client.get(LOGIN).status_code == 200


@pytest.mark.django_db
def test_ip_behind_render_proxy_comes_from_forwarded_header(client, db, clock, settings):
    """Behind the proxy every request has the proxy's REMOTE_ADDR: the limit must follow the client."""
    settings.TRUSTED_PROXY_COUNT = 1
    for i in range(10):
        r = client.post(
            LOGIN,
            {"username": f"u{i}", "password": "x" * 12},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.50",
        )
        assert r.status_code == 200
    r = client.post(
        LOGIN, {"username": "u-next", "password": "x" * 12}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.50"
    )
    assert r.status_code == 429
    # A different real client behind the same proxy is still welcome.
    r = client.post(
        LOGIN,
        {"username": "u-other", "password": "x" * 12},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.51",
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("hops", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "1.2.3.4", "198.51.100.1"),  # development: the header is ignored
        (1, "10.0.0.1", "203.0.113.5", "203.0.113.5"),  # Render: the proxy's entry
        (1, "10.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # forged left entry ignored
        (2, "10.0.0.1", "6.6.6.6, 203.0.113.5, 10.0.0.2", "203.0.113.5"),  # two proxies
        (1, "10.0.0.1", "", "10.0.0.1"),  # no header: the socket address
        (2, "10.0.0.1", "203.0.113.5", "10.0.0.1"),  # fewer hops than trusted: not trusted
        (1, "10.0.0.1", "not-an-ip", "10.0.0.1"),  # not an address: the peer's
        (1, "10.0.0.1", "1.2.3.4, <script>", "10.0.0.1"),
        (0, "garbage", "", ""),  # not even the peer is an address
    ],
)
def test_client_ip_trusts_only_the_configured_number_of_proxies(settings, hops, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


def test_ratelimit_uses_the_same_ip_function(settings):
    assert settings.RATELIMIT_IP_META_KEY == "qoricash.net.client_ip"


# --- look-alike names and the lock-out mitigation ------------------------------------------------------
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.20"


@pytest.mark.django_db
def test_look_alike_spelling_of_a_locked_username_shares_its_bucket(client, operador, clock):
    for attempt in range(5):
        assert _post(client, "o_operador", f"bad-{attempt}-password", ip=ATTACKER).status_code == 200
    # Full-width letters and underscore: NFKC turns them into "o_operador", which is how Django logs in.
    look_alike = "ｏ＿ｏｐｅｒａｄｏｒ"
    assert _post(client, look_alike, "a-strong-test-password", ip=ATTACKER).status_code == 429
    assert _post(client, look_alike.upper(), "another-bad-guess", ip=OWNER).status_code == 429
    assert not AuditEntry.objects.filter(action=AccountAction.LOGIN, actor=operador).exists()


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("ｏｐｅｒａｄｏｒ", "operador"),
        (" Operador ", "operador"),
        ("OPERADOR", "operador"),
        ("Straße", "strasse"),
        ("", "<vacío>"),
    ],
)
def test_username_key_is_the_name_authentication_sees_case_folded(typed, key):
    from accounts.login_limits import username_key

    assert username_key("login-user", RequestFactory().post("/", {"username": typed})) == key


@pytest.mark.django_db
def test_right_password_from_an_address_without_failures_passes_a_full_username_bucket(client, trader, clock):
    for attempt in range(6):
        _post(client, trader.username, f"guess-{attempt}-password", ip=ATTACKER)
    assert _post(client, trader.username, "a-strong-test-password", ip=ATTACKER).status_code == 429
    ok = _post(client, trader.username, "a-strong-test-password", ip=OWNER)
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert AuditEntry.objects.filter(action=AccountAction.LOGIN, actor=trader).count() == 1


@pytest.mark.django_db
def test_wrong_password_from_a_clean_address_is_refused_and_marks_that_address(client, trader, clock):
    for attempt in range(5):
        _post(client, trader.username, f"guess-{attempt}-password", ip=ATTACKER)
    assert _post(client, trader.username, "still-a-wrong-one", ip=OWNER).status_code == 429
    # That address has now failed for the user: the right password no longer passes the full bucket.
    assert _post(client, trader.username, "a-strong-test-password", ip=OWNER).status_code == 429
    clock.now += 61
    assert _post(client, trader.username, "a-strong-test-password", ip=OWNER).status_code == 302


@pytest.mark.django_db
def test_a_successful_login_clears_its_address_failures(client, trader, clock):
    assert _post(client, trader.username, "one-typo-password", ip=OWNER).status_code == 200
    assert _post(client, trader.username, "a-strong-test-password", ip=OWNER).status_code == 302
    client.logout()
    for attempt in range(5):
        _post(client, trader.username, f"guess-{attempt}-password", ip=ATTACKER)
    assert _post(client, trader.username, "a-strong-test-password", ip=OWNER).status_code == 302


@pytest.mark.django_db
def test_ip_limit_still_applies_to_the_right_password(client, trader, clock):
    for i in range(10):
        _post(client, f"someone{i}", "x" * 12, ip=OWNER)
    assert _post(client, trader.username, "a-strong-test-password", ip=OWNER).status_code == 429


@pytest.mark.django_db
def test_a_forwarded_header_that_is_not_an_address_is_no_500(client, trader, clock, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    response = client.post(
        LOGIN,
        {"username": trader.username, "password": "wrong-password-1"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="not-an-ip",
    )
    assert response.status_code == 200
    assert AuditEntry.objects.get(action=AccountAction.LOGIN_FAILED).ip == "10.0.0.1"


@pytest.mark.django_db
def test_a_refused_next_lands_on_the_admin_index(client, trader, clock):
    response = client.post(
        LOGIN, {"username": trader.username, "password": "a-strong-test-password", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
