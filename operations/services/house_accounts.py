"""The house's bank accounts: created, changed and (de)activated, never deleted."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import audit
from operations.models import AuditAction, HouseBankAccount

HOUSE_ACCOUNT_FIELDS = ("bank", "currency", "number", "cci", "holder", "is_active")


def _require_manager(user, perm):
    if not user.has_perm(perm):
        raise PermissionDenied(_("You are not allowed to manage the house accounts."))


def save_house_account(account, *, by):
    """Create or update a house account, with its audit entry."""
    _require_manager(by, "operations.change_housebankaccount" if account.pk else "operations.add_housebankaccount")
    account.full_clean()
    with transaction.atomic():
        if account.pk:
            before = audit.snapshot(
                HouseBankAccount.objects.select_for_update().get(pk=account.pk), HOUSE_ACCOUNT_FIELDS
            )
            account.save()
            changes = audit.diff(before, audit.snapshot(account, HOUSE_ACCOUNT_FIELDS))
            if changes:
                audit.record(AuditAction.HOUSE_ACCOUNT_CHANGED, account, actor=by, changes=changes)
        else:
            account.save()
            audit.record(
                AuditAction.HOUSE_ACCOUNT_CREATED,
                account,
                actor=by,
                changes={k: [None, v] for k, v in audit.snapshot(account, HOUSE_ACCOUNT_FIELDS).items()},
            )
    return account


def set_house_accounts_active(queryset, active, *, by):
    """(De)activate the accounts of `queryset`; returns how many changed."""
    _require_manager(by, "operations.change_housebankaccount")
    n = 0
    with transaction.atomic():
        for account in queryset.select_for_update().exclude(is_active=active):
            account.is_active = active
            account.save(update_fields=["is_active"])
            audit.record(
                AuditAction.HOUSE_ACCOUNT_CHANGED, account, actor=by, changes={"is_active": [not active, active]}
            )
            n += 1
    return n
