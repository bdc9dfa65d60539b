from django.conf import settings
from django.contrib.auth.models import AbstractUser, Permission
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import RegexValidator
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _

from qoricash import display

staff_dni_validator = RegexValidator(r"^\d{8}$", _("The DNI must have exactly 8 digits."))


class UserManager(DjangoUserManager):
    def with_perm(self, perm, *, include_superusers=True, active_only=True):
        """Users holding `perm` ("app.codename" or a Permission) through a group or directly.

        Django's own version asks the authentication backends and refuses to choose when several
        are configured; ours reads the tables every backend here relies on, so it always answers.
        """
        if isinstance(perm, Permission):
            permission = models.Q(pk=perm.pk)
        else:
            app_label, _sep, codename = str(perm).partition(".")
            if not codename:
                raise ValueError(f"Permission must read 'app_label.codename': {perm!r}")
            permission = models.Q(codename=codename, content_type__app_label=app_label)
        holds = models.Exists(
            Permission.objects.filter(permission).filter(
                models.Q(group__user=models.OuterRef("pk")) | models.Q(user=models.OuterRef("pk"))
            )
        )
        if include_superusers:
            holds |= models.Q(is_superuser=True)
        queryset = self.filter(holds)
        return queryset.filter(is_active=True) if active_only else queryset

    def end_sessions(self, pks):
        """End every session of these users for good (deactivation, a change of roles): sessions carry
        the generation they were opened in, so reactivating the user does not revive them."""
        self.filter(pk__in=list(pks)).update(session_generation=models.F("session_generation") + 1)


class User(AbstractUser):
    """Back-office staff. Roles are Django groups; nothing here encodes a role."""

    email = models.EmailField(_("email address"), unique=True)
    dni = models.CharField(_("DNI"), max_length=8, unique=True, null=True, blank=True, validators=[staff_dni_validator])
    # Part of every session's authentication hash: raising it ends all the user's sessions.
    session_generation = models.PositiveIntegerField(_("session generation"), default=0, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        if self.dni == "":
            self.dni = None
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret=None):
        # Django binds a session to a hash of the password (and checks it against SECRET_KEY_FALLBACKS
        # through this same method); the generation is mixed in so ending sessions needs no password
        # change. Generation 0 keeps Django's own hash: sessions opened before this existed stay valid.
        password_hash = super()._get_session_auth_hash(secret=secret)
        if not self.session_generation:
            return password_hash
        value = f"{password_hash}:{self.session_generation}"
        return salted_hmac("accounts.User.session_generation", value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def display_name(self):
        """How a person is shown everywhere (lists, e-mails, sheets): the full name, else the username."""
        return self.get_full_name() or self.username

    def __str__(self):
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


class RoleGrant(models.Model):
    """Remembers which default (role, permission) pairs were already handed out once.

    A `migrate` grants only pairs not recorded here, so a permission the Master removed from a
    group on purpose is not put back by the next deploy. `bootstrap_roles --reset` clears it.
    """

    role = models.CharField(max_length=80)
    permission = models.CharField(max_length=200)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["role", "permission"], name="uniq_role_grant")]
        verbose_name = _("role default grant")
        verbose_name_plural = _("role default grants")

    def __str__(self):
        return f"{self.role}: {self.permission}"


# What the audit list's search compares: any part of these texts (trigram indexes on PostgreSQL)...
AUDIT_SEARCH_TEXTS = ("actor_username", "object_repr", "message")
# ...and these identifiers whole, capitals aside: "12" is object 12, not 112 or 1203, and a whole
# identifier is what one pastes from a log or a URL (btree indexes on PostgreSQL).
AUDIT_SEARCH_IDS = ("object_id", "ip", "request_id")
# A search looks at the newest AUDIT_SEARCH_RECENT entries (days of activity) to choose its plan,
# and counts its matches up to AUDIT_SEARCH_MANY (read through the indexes in about 0.1 s).
AUDIT_SEARCH_RECENT = 20_000
AUDIT_SEARCH_MANY = 20_000


class AuditEntryQuerySet(models.QuerySet):
    def search(self, text, *, page_size=50):
        """The entries matching every word of `text` (quoted phrases kept whole, as in Django's admin
        search), each word in one of AUDIT_SEARCH_TEXTS or equal to one of AUDIT_SEARCH_IDS.

        Two plans, because the list shows the newest matches first and neither is fast for every term.
        Walking the "at" index newest first, testing each entry, stops after a page of matches: fast
        when recent entries match, a walk through years of trail when the matches are rare or old.
        Reading every match through the indexes (a BitmapOr over the six columns) and sorting them
        costs what there is to read: fast for a rare term, seconds for one found in half the trail.
        PostgreSQL chooses from sampled statistics that say nothing of when the matches were written:
        on 3,000,000 entries it walked for 2 s to a former employee's 18,000 entries, all years old.
        So bounded queries choose instead. The walk when the newest AUDIT_SEARCH_RECENT entries hold a
        page of matches (the "at" index gives where they start), or when there are AUDIT_SEARCH_MANY
        matches or more: reading them all could then cost more than any walk (the walk's worst, matches
        only years back, is the scan this search used to be). Otherwise every match is read and handed
        over as an array, which the planner never filters a walk with.
        """
        words = [
            unescape_string_literal(word) if word.startswith(('"', "'")) and word[0] == word[-1] else word
            for word in smart_split(text)
        ]
        if not words:
            return self
        match = models.Q()
        for word in words:
            match &= models.Q.create(
                [(f"{name}__icontains", word) for name in AUDIT_SEARCH_TEXTS]
                + [(f"{name}__iexact", word) for name in AUDIT_SEARCH_IDS],
                connector=models.Q.OR,
            )
        if connections[self.db].vendor != "postgresql":
            return self.filter(match)
        matches = self.order_by().filter(match)
        newest = self.model.objects.using(self.db).order_by("-at").values_list("at", flat=True)
        since = newest[AUDIT_SEARCH_RECENT - 1 : AUDIT_SEARCH_RECENT].first()
        recent = matches.filter(at__gte=since) if since is not None else matches
        if recent.values("pk")[:page_size].count() == page_size:
            return self.filter(match)
        if since is not None and matches.values("pk")[:AUDIT_SEARCH_MANY].count() == AUDIT_SEARCH_MANY:
            return self.filter(match)
        from django.contrib.postgres.expressions import ArraySubquery

        return self.filter(_AnyOf(models.F("pk"), ArraySubquery(matches.values("pk"))))


class _AnyOf(models.Lookup):
    """`lhs = ANY(array)`: Django's lookups put an expression on the right in parentheses."""

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


class AuditEntry(models.Model):
    """Append-only trail of who did what. Written by `accounts.audit.record`, never edited."""

    # Set before saving (not auto_now_add) because the hash covers it.
    at = models.DateTimeField(_("when"), default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=50, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    message = models.TextField(_("detail"), blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # The tamper-evidence chain (accounts/auditchain.py): the previous entry's hash and this one's.
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
        ]

    def __str__(self):
        from accounts.audit import action_label

        when = display.datetime(self.at, empty="")
        return f"{when} · {self.actor_username or '-'} · {action_label(self.action)} · {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit entries are append-only.")
        from accounts import auditchain

        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            auditchain.seal(self, using=using)
            super().save(*args, **kwargs)
