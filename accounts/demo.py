"""Demo users, one per role, for `make run`. Never used in production (seed_demo refuses)."""

from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import COMPLIANCE_OFFICER, MASTER, OPERADOR, TRADER

DEMO_USERS = (
    # username, role, first name, last name, password
    ("master", MASTER, "María", "Quispe", "demo-master-2026"),
    ("operador", OPERADOR, "Óscar", "Huamán", "demo-operador-2026"),
    ("trader", TRADER, "Tania", "Rojas", "demo-trader-2026"),
    ("trader2", TRADER, "Luis", "Paredes", "demo-trader2-2026"),
    ("cumplimiento", COMPLIANCE_OFFICER, "Carmen", "Villanueva", "demo-cumplimiento-2026"),
)


def seed(stdout=None):
    users = {}
    for username, role, first, last, password in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@demo.qoricash.pe",
                "first_name": first,
                "last_name": last,
                "is_staff": True,
            },
        )
        user.set_password(password)
        user.is_staff = True
        user.is_active = True
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        users[username] = user
        if stdout:
            stdout.write(f"  {role:<23} usuario: {username:<12} contraseña: {password}")
    return users
