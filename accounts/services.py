"""Users and roles: invitations (no password ever travels by e-mail) and the role bootstrap."""

import logging

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts import audit
from accounts.audit_actions import AccountAction
from accounts.models import RoleGrant
from accounts.roles import ROLE_PERMISSIONS
from qoricash.outbox.queue import enqueue

log = logging.getLogger(__name__)

INVITATION = "user.invitation"
PASSWORD_RESET = "user.password_reset"


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


# --- invitations ----------------------------------------------------------------------------------
def set_password_url(user, base_url):
    """The one-time link to choose a password (Django's token: void once the password changes)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return base_url.rstrip("/") + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def send_invitation(user, base_url):
    """Queue the Spanish invitation with the set-password link (delivered after the commit, retried by
    send_pending_emails). Returns True when queued, False when the user has no e-mail."""
    context = {
        "user": user,
        "url": set_password_url(user, base_url),
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "login_url": base_url.rstrip("/") + reverse("admin:login"),
    }
    subject = "".join(render_to_string("accounts/email/invitation_subject.txt", context).splitlines())
    with transaction.atomic():
        message = enqueue(
            INVITATION,
            to=[user.email],
            subject=subject,
            template="accounts/email/invitation",
            context=context,
            related=user,
            confidential=True,
        )
        if message is None:
            log.warning("Invitation not queued: user %s has no e-mail", user.pk)
            return False
        audit.record(AccountAction.INVITATION_SENT, user, message=user.email)
    return True


@transaction.atomic
def invite_user(user, role, base_url):
    """Create `user` (unsaved instance) as staff with one role and no usable password, then invite.

    The invitation is queued in the same transaction, so a rolled-back creation never mails a
    link. The user cannot log in until the password is chosen from that link.
    """
    user.set_unusable_password()
    user.is_staff = True
    user.is_superuser = False
    user.is_active = True
    user.save()
    user.groups.set([role])
    send_invitation(user, base_url)
    return user


def deactivate_user(user):
    """No hard delete: an inactive user keeps its history and loses access on its next request."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


def can_manage_user(actor, target) -> bool:
    """Only a superuser may change a superuser: otherwise a Master could change the e-mail of the
    owner's emergency account and take it over through "forgot my password"."""
    return actor.is_superuser or not target.is_superuser


# --- the outbox -----------------------------------------------------------------------------------
def resend_emails(messages, *, by):
    """A Master's "Reenviar": failed or sent messages back to pending for an immediate new try, each
    audited. Pending and sending ones are left as they are. Returns how many were queued again."""
    from qoricash.outbox.models import EmailStatus, OutboundEmail

    if not by.has_perm("qoricash.resend_outboundemail"):
        raise PermissionDenied(_("You are not allowed to resend e-mails."))
    count = 0
    with transaction.atomic():
        ids = [m.pk for m in messages]
        locked = OutboundEmail.objects.select_for_update().filter(
            pk__in=ids, status__in=[EmailStatus.FAILED, EmailStatus.SENT]
        )
        for message in locked.order_by("pk"):
            previous = message.requeue()
            audit.record(
                AccountAction.EMAIL_RESENT,
                message,
                actor=by,
                changes={"status": [previous, message.status]},
                message=message.to,
            )
            count += 1
    return count
