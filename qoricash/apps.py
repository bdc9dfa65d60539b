from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class QoriCashAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "qoricash.admin_site.QoriCashAdminSite"


class QoriCashConfig(AppConfig):
    default = True
    name = "qoricash"
    verbose_name = "QoriCash"

    def ready(self):
        from django.contrib import admin

        from qoricash.outbox.panels import outbox_panel
        from qoricash.recovery.panels import recovery_panel

        admin.site.register_panel("qoricash/panels/recovery.html", recovery_panel, order=90)
        admin.site.register_panel("qoricash/panels/outbox.html", outbox_panel, order=2)
