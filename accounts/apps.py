from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender, app_config=None, using="default", verbosity=1, **kwargs):
    # post_migrate fires once per app; act once, on the last app, when every permission exists.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    last = list(apps.get_app_configs())[-1]
    if app_config is None or app_config.label != last.label:
        return
    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    from accounts.services import sync_roles

    sync_roles(verbosity=verbosity)


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Users and security")

    def ready(self):
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
        from django.contrib import admin

        from accounts import checks, registry, signals  # noqa: F401  (checks register themselves)
        from accounts.login_limits import protect_login

        registry.register()
        signals.connect()
        # Rate-limit the admin login (per IP and per username). The admin site builds its URLs
        # lazily from `self.login`, so wrapping the bound method here covers /admin/login/.
        if not getattr(admin.site.login, "_qc_rate_limited", False):
            admin.site.login = protect_login(admin.site.login)
