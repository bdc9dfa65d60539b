"""The QoriCash admin site: Spanish branding, custom views and dashboard panels contributed by apps.

Apps never import each other upwards to appear in the admin: each app's admin.py calls
`site.register_view(...)` for its custom pages and `site.register_panel(...)` for blocks shown on
the index, and the site only renders what the current user is allowed to see.
"""

from dataclasses import dataclass, field

from django.apps import apps as django_apps
from django.contrib import admin
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _


@dataclass
class Panel:
    """A block on the admin index. `build(request)` returns a context dict, or None to hide it."""

    template: str
    build: object
    order: int = 100


@dataclass
class CustomView:
    route: str
    view: object
    name: str
    cacheable: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class NavLink:
    """A custom page listed in the sidebar and app list, under an app, for holders of `permission`."""

    label: str
    url_name: str
    permission: str
    app_label: str


class QoriCashAdminSite(admin.AdminSite):
    site_header = _("QoriCash Trading")
    site_title = _("QoriCash Trading")
    index_title = _("Control panel")
    enable_nav_sidebar = True
    # The admin is the whole site ("/" redirects here): no "View site" link.
    site_url = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._panels: list[Panel] = []
        self._views: list[CustomView] = []
        self._nav: list[NavLink] = []

    def register_panel(self, template, build, order=100):
        self._panels.append(Panel(template, build, order))

    def register_view(self, route, view, name, cacheable=False):
        """Route a view under /admin/ behind the admin's login (permission checks stay in the view)."""
        self._views.append(CustomView(route, view, name, cacheable))

    def register_nav(self, label, url_name, permission, app_label):
        """Show a custom page in the navigation, like a model, to users holding `permission`."""
        self._nav.append(NavLink(label, url_name, permission, app_label))

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        for link in self._nav:
            if (app_label and link.app_label != app_label) or not request.user.has_perm(link.permission):
                continue
            app = next((a for a in app_list if a["app_label"] == link.app_label), None)
            if app is None:
                config = django_apps.get_app_config(link.app_label)
                app = {
                    "name": config.verbose_name,
                    "app_label": link.app_label,
                    "app_url": reverse("admin:app_list", kwargs={"app_label": link.app_label}, current_app=self.name),
                    "has_module_perms": True,
                    "models": [],
                }
                app_list.append(app)
            app["models"].insert(
                0,
                {
                    "model": None,
                    "name": link.label,
                    "object_name": link.url_name,
                    "perms": {"view": True},
                    "admin_url": reverse(f"admin:{link.url_name}", current_app=self.name),
                    "add_url": None,
                    "view_only": True,
                },
            )
        app_list.sort(key=lambda a: str(a["name"]).lower())
        return app_list

    def get_urls(self):
        custom = [path(v.route, self.admin_view(v.view, cacheable=v.cacheable), name=v.name) for v in self._views]
        return custom + super().get_urls()

    def index(self, request, extra_context=None):
        panels = []
        for panel in sorted(self._panels, key=lambda p: p.order):
            ctx = panel.build(request)
            if ctx is not None:
                panels.append({"template": panel.template, "ctx": ctx})
        extra_context = {**(extra_context or {}), "panels": panels}
        return super().index(request, extra_context)
