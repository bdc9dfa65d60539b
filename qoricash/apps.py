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
        from django.utils.translation import gettext_lazy as _

        from qoricash.alerts import alert_kind
        from qoricash.outbox import watch
        from qoricash.outbox.kinds import register_kind
        from qoricash.outbox.panels import outbox_panel
        from qoricash.recovery import usage
        from qoricash.recovery.panels import recovery_panel

        # The outbox's kind filter offers registered kinds only (it never reads the table).
        register_kind(alert_kind(watch.ALERT_KIND), _("Alert: e-mails not delivered"))
        register_kind(alert_kind(usage.ALERT_KIND), _("Alert: storage almost full"))

        admin.site.register_panel("qoricash/panels/recovery.html", recovery_panel, order=90)
        admin.site.register_panel("qoricash/panels/outbox.html", outbox_panel, order=2)
