"""Role bootstrap: groups from `accounts.roles`, applied idempotently."""

import logging

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.models import RoleGrant
from accounts.roles import ROLE_PERMISSIONS

log = logging.getLogger(__name__)


def _permission_map():
    perms = Permission.objects.select_related("content_type")
    return {f"{p.content_type.app_label}.{p.codename}": p for p in perms}


@transaction.atomic
def sync_roles(reset=False, verbosity=1):
    """Create the role groups and grant their default permissions.

    Without `reset`, only defaults never granted before are added: a permission the Master took
    away stays away. With `reset`, each group becomes exactly its table entry.
    Returns {role: number of permissions added}.
    """
    available = _permission_map()
    added = {}
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        missing = sorted(wanted - set(available))
        if missing and verbosity:
            log.warning("Role %s: permissions not defined yet, skipped: %s", role, ", ".join(missing))
        present = [p for p in sorted(wanted) if p in available]
        if reset:
            group.permissions.set([available[p] for p in present])
            RoleGrant.objects.filter(role=role).delete()
            RoleGrant.objects.bulk_create([RoleGrant(role=role, permission=p) for p in present])
            added[role] = len(present)
            continue
        already = set(RoleGrant.objects.filter(role=role).values_list("permission", flat=True))
        new = [p for p in present if p not in already]
        if new:
            group.permissions.add(*[available[p] for p in new])
            RoleGrant.objects.bulk_create([RoleGrant(role=role, permission=p) for p in new])
        added[role] = len(new)
    return added
