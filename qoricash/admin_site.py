"""The QoriCash admin site: Spanish branding, custom views and dashboard panels contributed by apps.

Apps never import each other upwards to appear in the admin: each app's admin.py calls
`site.register_view(...)` for its custom pages and `site.register_panel(...)` for blocks shown on
the index, and the site only renders what the current user is allowed to see.
"""

from dataclasses import dataclass, field

from django.contrib import admin
from django.urls import path
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

    def register_panel(self, template, build, order=100):
        self._panels.append(Panel(template, build, order))

    def register_view(self, route, view, name, cacheable=False):
        """Route a view under /admin/ behind the admin's login (permission checks stay in the view)."""
        self._views.append(CustomView(route, view, name, cacheable))

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
