"""Audit entries for authentication and for users and groups, whatever path changed them.

Users and groups change through the admin, management commands and migrations (sync_roles); the
signals catch every path, including many-to-many changes (a user's groups, a group's permissions).
Other apps record their own domain events from their services with `accounts.audit.record`.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save

from accounts import audit, login_limits, middleware
from accounts.audit_actions import AccountAction

HIDDEN = "••••••"
# Bookkeeping fields whose changes alone are not worth an entry (last_login: the login entry says it).
QUIET_FIELDS = {"last_login"}


def _user_model():
    return get_user_model()


# --- authentication -------------------------------------------------------------------------------
def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = middleware._now()
        request.session["qc_started"] = now
        request.session["qc_seen"] = now
    login_limits.forget_failures(request, user)
    audit.record(AccountAction.LOGIN, user, actor=user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    # `credentials` never reaches the record: only the username typed, which Master needs to spot
    # password guessing. The password (already masked by Django) is not stored in any form.
    username = str((credentials or {}).get("username", ""))[:150]
    login_limits.remember_failure(request, username)
    user = _user_model()._default_manager.filter(username__iexact=username).first() if username else None
    audit.record(
        AccountAction.LOGIN_FAILED,
        user,
        actor=None,
        object_type="accounts.user",
        object_repr=username,
        message=username,
    )


def on_logout(sender, request, user, **kwargs):
    if user is None:
        return
    reason = getattr(request, "_qc_session_end", "") if request is not None else ""
    audit.record(AccountAction.SESSION_EXPIRED if reason else AccountAction.LOGOUT, user, actor=user, message=reason)


# --- users and groups -----------------------------------------------------------------------------
def _user_snapshot(user):
    data = audit.snapshot(user)
    data.pop("password", None)
    data.pop("session_generation", None)  # bookkeeping: the change that raised it is the entry
    return data


def remember_user(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._audit_before = None
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = _user_snapshot(old) if old else None
    instance._audit_old_password = old.password if old else None


def user_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if update_fields and set(update_fields) <= QUIET_FIELDS:
        return
    before = getattr(instance, "_audit_before", None) or {}
    changes = audit.diff(before, _user_snapshot(instance))
    for name in QUIET_FIELDS:
        changes.pop(name, None)
    if not created and getattr(instance, "_audit_old_password", None) != instance.password:
        changes["password"] = [HIDDEN, HIDDEN]
    if not created and _ends_sessions(changes):
        _end_sessions_of([instance])
    if created:
        changes.pop("password", None)
        audit.record(AccountAction.USER_CREATED, instance, changes=changes)
    elif changes:
        audit.record(AccountAction.USER_CHANGED, instance, changes=changes)


# Losing access or privileges ends the user's sessions for good (a password change already does,
# through Django's session hash).
def _ends_sessions(changes):
    is_active = changes.get("is_active")
    is_staff = changes.get("is_staff")
    return bool(
        (is_active and is_active[0] and not is_active[1])
        or (is_staff and is_staff[0] and not is_staff[1])
        or "is_superuser" in changes
    )


def _end_sessions_of(users):
    users = [u for u in users if u.pk is not None]
    User = _user_model()
    User._default_manager.end_sessions(u.pk for u in users)
    fresh = dict(User._default_manager.filter(pk__in=[u.pk for u in users]).values_list("pk", "session_generation"))
    for user in users:
        user.session_generation = fresh.get(user.pk, user.session_generation)


def end_sessions_on_access_change(sender, instance, action, reverse, model, pk_set, **kwargs):
    """A user's roles or own permissions changed, from either side of the relation."""
    if action == "pre_clear" and reverse:
        instance.__dict__["_session_reverse"] = list(model._default_manager.filter(pk__in=_members(instance, sender)))
    if action not in {"post_add", "post_remove", "post_clear"} or (action != "post_clear" and not pk_set):
        return
    if not reverse:
        _end_sessions_of([instance])
    elif action == "post_clear":
        _end_sessions_of(instance.__dict__.pop("_session_reverse", []))
    else:
        _end_sessions_of(list(model._default_manager.filter(pk__in=pk_set)))


def _members(group_or_permission, through):
    field = "group" if through is _user_model().groups.through else "permission"
    return through.objects.filter(**{field: group_or_permission}).values("user_id")


def remember_group(sender, instance, raw=False, **kwargs):
    old = None if raw or instance.pk is None else sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = {"name": old.name} if old else {}


def group_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    changes = audit.diff(getattr(instance, "_audit_before", {}) or {}, {"name": instance.name})
    if created:
        audit.record(AccountAction.ROLE_CREATED, instance, changes=changes)
    elif changes:
        audit.record(AccountAction.ROLE_CHANGED, instance, changes=changes)


def _labels(queryset, kind):
    if kind == "permission":
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in queryset.select_related("content_type"))
    return sorted(str(x) for x in queryset)


def _m2m_handler(field_name, action_name, kind):
    def handler(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action not in {"pre_add", "pre_remove", "pre_clear", "post_add", "post_remove", "post_clear"}:
            return
        if reverse:
            # e.g. group.user_set.add(user): recorded on each object whose `field_name` changed.
            if action == "pre_clear":
                instance.__dict__["_audit_reverse"] = list(model._default_manager.filter(**{field_name: instance}))
            if action.startswith("pre_"):
                return
            if action == "post_clear":
                targets = instance.__dict__.pop("_audit_reverse", [])
            else:
                targets = list(model._default_manager.filter(pk__in=pk_set or ()))
            sign = "+" if action == "post_add" else "-"
            for target in targets:
                audit.record(action_name, target, changes={field_name: ["", f"{sign} {instance}"]})
            return
        current = getattr(instance, field_name).all()
        if action.startswith("pre_"):
            instance.__dict__[f"_audit_{field_name}"] = _labels(current, kind)
            return
        before = instance.__dict__.pop(f"_audit_{field_name}", [])
        after = _labels(current, kind)
        if before != after:
            audit.record(action_name, instance, changes={field_name: [before, after]})

    return handler


def connect():
    User = _user_model()
    user_logged_in.connect(on_login, dispatch_uid="accounts.audit.login")
    user_login_failed.connect(on_login_failed, dispatch_uid="accounts.audit.login_failed")
    user_logged_out.connect(on_logout, dispatch_uid="accounts.audit.logout")
    pre_save.connect(remember_user, sender=User, dispatch_uid="accounts.audit.user_pre")
    post_save.connect(user_saved, sender=User, dispatch_uid="accounts.audit.user_post")
    pre_save.connect(remember_group, sender=Group, dispatch_uid="accounts.audit.group_pre")
    post_save.connect(group_saved, sender=Group, dispatch_uid="accounts.audit.group_post")
    m2m_changed.connect(
        _m2m_handler("groups", AccountAction.USER_ROLES_CHANGED, "group"),
        sender=User.groups.through,
        dispatch_uid="accounts.audit.user_groups",
        weak=False,
    )
    m2m_changed.connect(
        _m2m_handler("user_permissions", AccountAction.USER_PERMISSIONS_CHANGED, "permission"),
        sender=User.user_permissions.through,
        dispatch_uid="accounts.audit.user_permissions",
        weak=False,
    )
    for through in (User.groups.through, User.user_permissions.through):
        m2m_changed.connect(
            end_sessions_on_access_change, sender=through, dispatch_uid=f"accounts.sessions.{through._meta.label}"
        )
    m2m_changed.connect(
        _m2m_handler("permissions", AccountAction.ROLE_PERMISSIONS_CHANGED, "permission"),
        sender=Group.permissions.through,
        dispatch_uid="accounts.audit.group_permissions",
        weak=False,
    )
