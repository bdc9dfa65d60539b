"""bootstrap_roles and seed_demo, as a developer runs them (`make run` seeds, deploys migrate)."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import CommandError, call_command

from accounts import demo, roles
from accounts.demo import DEMO_USERS
from accounts.models import User


def run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seed(settings):
    """Run seed_demo as `make run` does: with DEBUG on (the test runner turns it off)."""

    def seed_demo():
        settings.DEBUG = True
        try:
            return run("seed_demo")
        finally:
            settings.DEBUG = False

    return seed_demo


@pytest.mark.django_db
def test_bootstrap_roles_reports_what_it_did():
    first = run("bootstrap_roles")
    assert first.splitlines() == [f"{role}: 0 permission(s) added" for role in roles.ROLES]
    reset = run("bootstrap_roles", "--reset")
    assert reset.splitlines() == [
        f"{role}: {len(perms)} permission(s) set to" for role, perms in roles.ROLE_PERMISSIONS.items()
    ]


@pytest.mark.django_db
def test_seed_demo_creates_one_user_per_role_prints_the_passwords_and_is_idempotent(seed):
    # The whole command (every app's demo data) twice: a second `make run` must not fail or duplicate.
    seed()
    user = User.objects.get(username="trader")
    user.groups.add(Group.objects.get(name=roles.MASTER))  # drift a developer may have caused
    user.set_password("changed-by-hand-123")
    user.save()
    output = seed()
    assert User.objects.filter(username__in=[u for u, *_ in DEMO_USERS]).count() == len(DEMO_USERS)
    for username, role, _first, _last, password in DEMO_USERS:
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.is_staff and user.is_active and not user.is_superuser
        assert user.check_password(password)
        assert username in output and password in output
    assert {role for _u, role, *_ in DEMO_USERS} == set(roles.ROLES)


@pytest.mark.django_db
def test_seed_demo_refuses_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run("seed_demo")
    assert not User.objects.filter(username__in=[u for u, *_ in DEMO_USERS]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("username", "role", "password"), [(u, r, p) for u, r, _f, _l, p in DEMO_USERS])
def test_each_demo_user_logs_in_through_the_login_form(client, username, role, password):
    cache.clear()  # login rate-limit counters from other tests
    demo.seed()  # the users part of seed_demo (the command itself is tested above)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/"
    assert response.wsgi_request.user.username == username
    html = response.content.decode()
    assert "Panel de control" in html and "Cerrar sesión" in html


@pytest.mark.django_db
def test_a_wrong_demo_password_is_refused_in_spanish(client):
    cache.clear()
    demo.seed()
    response = client.post("/admin/login/", {"username": "master", "password": "wrong-password"})
    assert response.status_code == 200
    assert "Por favor introduzca el nombre de usuario y la clave correctos" in response.content.decode()


@pytest.mark.django_db
def test_seed_demo_prints_the_url_of_the_port_it_is_told(settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    try:
        assert run("seed_demo", "--port", "8109").rstrip().endswith("http://127.0.0.1:8109/admin/")
        assert "http://127.0.0.1:8000/admin/" in run("seed_demo")  # make run's default PORT
    finally:
        settings.DEBUG = False


def test_make_run_gives_seed_demo_the_port_runserver_uses():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "seed_demo --port $(PORT)" in run_recipe and "runserver 127.0.0.1:$(PORT)" in run_recipe
