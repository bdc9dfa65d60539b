"""Django's ModelBackend reading a user's permissions with the user itself.

Every admin page asks for the user's permissions; Django reads the user, then its own permissions
and its groups' in two more queries. Here the user of a session is read with its permissions (its
own and its groups', one subquery) in one query, compiled once per process (every request runs it),
and a user obtained otherwise (a login, a test's user) reads them in one query on first use. Same
rules as Django's: inactive users have none, a superuser has all.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import router
from django.db.models import Aggregate, CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat

from qoricash import compiled

SEPARATOR = ","


class _JoinedText(Aggregate):
    """The texts of a group joined by SEPARATOR (GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL)."""

    function = "GROUP_CONCAT"
    template = f"%(function)s(%(expressions)s, '{SEPARATOR}')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)


def _permissions(user_filter):
    return Permission.objects.filter(user_filter).order_by()


def _names(pairs):
    return {f"{app_label}.{codename}" for app_label, codename in pairs}


def _users_with_permission_names():
    # "app_label.codename" of every permission of the user and of its groups, joined in one text.
    own = _permissions(Q(user=OuterRef(OuterRef("pk"))) | Q(group__user=OuterRef(OuterRef("pk"))))
    names = (
        Permission.objects.filter(pk__in=own.values("pk"))
        .order_by()
        .annotate(one=Value(1))
        .values("one")
        .annotate(names=_JoinedText(Concat("content_type__app_label", Value("."), "codename")))
        .values("names")
    )
    return get_user_model()._default_manager.annotate(_permission_names=Subquery(names))


# Stands for the user's id in the query compiled once; never a real id (ids are positive).
_ID_PLACEHOLDER = -918273645


def _read_user(user_id):
    """The user with `_permission_names`, or None. Every request reads its user: the query (two nested
    subqueries) is compiled once per process (qoricash.compiled), which costs more CPU than running it."""
    model = get_user_model()
    user_id = model._meta.pk.get_prep_value(user_id)
    sql, params = compiled.sql_of(
        "session user", lambda: _users_with_permission_names().filter(pk=_ID_PLACEHOLDER).order_by()[:1], model
    )
    if list(params).count(_ID_PLACEHOLDER) != 1:  # the id cannot be told apart: compiled each time
        return _users_with_permission_names().filter(pk=user_id).order_by().first()
    params = [user_id if p == _ID_PLACEHOLDER else p for p in params]
    return next(iter(model._default_manager.db_manager(router.db_for_read(model)).raw(sql, params)), None)


class OneQueryModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = _read_user(user_id)
        if user is None or not self.user_can_authenticate(user):
            return None
        if not user.is_superuser:
            text = user._permission_names or ""
            user._perm_cache = {name for name in text.split(SEPARATOR) if name}
        return user

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            perms = Permission.objects.all()
            if not user_obj.is_superuser:
                perms = perms.filter(Q(user=user_obj) | Q(group__user=user_obj))
            pairs = perms.values_list("content_type__app_label", "codename").order_by().distinct()
            user_obj._perm_cache = _names(pairs)
        return user_obj._perm_cache
