"""What the accounts app records in the audit trail. Labels are what the audit page shows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountAction(models.TextChoices):
    LOGIN = "auth.login", _("Login")
    LOGIN_FAILED = "auth.login_failed", _("Failed login")
    LOGIN_BLOCKED = "auth.login_blocked", _("Login blocked (too many attempts)")
    LOGOUT = "auth.logout", _("Logout")
    SESSION_EXPIRED = "auth.session_expired", _("Session expired")
    PASSWORD_SET = "auth.password_set", _("Password chosen")
    PASSWORD_RESET_REQUESTED = "auth.password_reset_request", _("Password link requested")
    INVITATION_SENT = "user.invite", _("Invitation sent")
    INVITATION_FAILED = "user.invite_failed", _("Invitation not sent (e-mail error)")
    USER_CREATED = "user.create", _("User created")
    USER_CHANGED = "user.change", _("User changed")
    USER_ROLES_CHANGED = "user.change_roles", _("User's roles changed")
    USER_PERMISSIONS_CHANGED = "user.change_permissions", _("User's permissions changed")
    ROLE_CREATED = "role.create", _("Role created")
    ROLE_CHANGED = "role.change", _("Role changed")
    ROLE_PERMISSIONS_CHANGED = "role.change_permissions", _("Role's permissions changed")
    FILE_DOWNLOADED = "file.download", _("File downloaded")
    EMAIL_RESENT = "email.resend", _("E-mail resent")


# Codes stored before actions were named "<object>.<verb>"; the trail is append-only, so old entries
# keep their code and are shown (and filtered) as the action that replaced it.
LEGACY_CODES = {
    "login": AccountAction.LOGIN,
    "login_failed": AccountAction.LOGIN_FAILED,
    "login_blocked": AccountAction.LOGIN_BLOCKED,
    "logout": AccountAction.LOGOUT,
    "session_expired": AccountAction.SESSION_EXPIRED,
    "password_set": AccountAction.PASSWORD_SET,
    "password_reset_requested": AccountAction.PASSWORD_RESET_REQUESTED,
    "invitation_sent": AccountAction.INVITATION_SENT,
    "invitation_failed": AccountAction.INVITATION_FAILED,
    "user_created": AccountAction.USER_CREATED,
    "user_changed": AccountAction.USER_CHANGED,
    "user_groups_changed": AccountAction.USER_ROLES_CHANGED,
    "user_permissions_changed": AccountAction.USER_PERMISSIONS_CHANGED,
    "group_created": AccountAction.ROLE_CREATED,
    "group_changed": AccountAction.ROLE_CHANGED,
    "group_permissions_changed": AccountAction.ROLE_PERMISSIONS_CHANGED,
    "file_download": AccountAction.FILE_DOWNLOADED,
}
