from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "operations"
    verbose_name = _("Operations")

    def ready(self):
        from operations import (
            client_hooks,  # noqa: F401 (registers operations with clients.hooks)
            registry,
        )

        registry.register()
