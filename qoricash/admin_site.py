"""The QoriCash admin site: Spanish branding, plus what apps contribute to it.

Apps never import each other upwards to appear in the admin: from its `registry.register()` (called
by the AppConfig's ready()) each app declares its custom pages (`register_view`), navigation links
(`register_nav`), index panels (`register_panel`) and list buttons (`register_button`, also on
another app's list), and the site only renders what the current user is allowed to see.
Registering the same name twice replaces the first entry, so a repeated ready() is harmless.
"""

from dataclasses import dataclass

from django.apps import apps as django_apps
from django.contrib import admin
from django.http import HttpResponseNotAllowed, JsonResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from qoricash import display
from qoricash.admin_rows import ListRowsMixin
from qoricash.query_guard import QueryStringGuardMixin
from qoricash.request_memo import memo


@dataclass
class Panel:
    """A block on the admin index. `build(request)` returns a context dict, or None to hide it.

    A live panel is rebuilt by the index's 30-second refresh (`panels_view`); a panel that refreshes
    itself (the operator queue, which also signals new rows) is registered with live=False."""

    template: str
    build: object
    order: int = 100
    live: bool = True


@dataclass
class CustomView:
    route: str
    view: object
    name: str
    cacheable: bool = False


@dataclass
class NavLink:
    """A custom page listed in the sidebar and app list, under an app, for holders of `permission`."""

    label: str
    url_name: str
    permission: str
    app_label: str


@dataclass
class Button:
    """A link in the object tools of `model`'s list (label "app.model"), for holders of `permission`.

    With keep_query the list's current filters and search travel along (an export of the same rows).
    """

    model: str
    label: str
    url_name: str
    permission: str
    keep_query: bool = False
    element_id: str = ""
    css_class: str = ""
    title: str = ""
    icon: str = ""


def _replace(items, new, same):
    items[:] = [item for item in items if not same(item, new)]
    items.append(new)


class QoriCashAdminSite(admin.AdminSite):
    site_header = _("QoriCash Trading")
    site_title = _("QoriCash Trading")
    index_title = _("Control panel")
    enable_nav_sidebar = True
    # The admin is the whole site ("/" redirects here): no "View site" link.
    site_url = None
    # The dash every other empty figure of the site shows (qoricash.display), not Django's hyphen.
    empty_value_display = display.EMPTY

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._panels: list[Panel] = []
        self._views: list[CustomView] = []
        self._nav: list[NavLink] = []
        self._buttons: list[Button] = []

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin, ours or a library's, gets `QueryStringGuardMixin`: no query string makes
        its list, add page or export answer 500 (qoricash/query_guard.py); and `ListRowsMixin`: its
        list's rows cost less CPU, with the same HTML (qoricash/admin_rows.py)."""
        admin_class = admin_class or admin.ModelAdmin
        mixins = tuple(m for m in (QueryStringGuardMixin, ListRowsMixin) if not issubclass(admin_class, m))
        if mixins:
            admin_class = type(
                admin_class.__name__,
                (*mixins, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def register_panel(self, template, build, order=100, live=True):
        """A block on the index: `template` rendered with `ctx = build(request)` unless that is None."""
        _replace(
            self._panels,
            Panel(template, build, order, live),
            lambda a, b: (a.template, a.build) == (b.template, b.build),
        )

    def register_view(self, route, view, name, cacheable=False):
        """Route a view under /admin/ behind the admin's login (permission checks stay in the view)."""
        _replace(self._views, CustomView(route, view, name, cacheable), lambda a, b: a.name == b.name)

    def register_nav(self, label, url_name, permission, app_label):
        """Show a custom page in the navigation, like a model, to users holding `permission`."""
        _replace(self._nav, NavLink(label, url_name, permission, app_label), lambda a, b: a.url_name == b.url_name)

    def register_button(self, model, label, url_name, permission, **options):
        """Add a button to the object tools of `model`'s list ("app.model"); see `Button`."""
        button = Button(model.lower(), label, url_name, permission, **options)
        _replace(self._buttons, button, lambda a, b: (a.model, a.url_name) == (b.model, b.url_name))

    def has_panel(self, template):
        """Whether an app registered the index panel `template` (lets panels avoid showing twice)."""
        return any(p.template == template for p in self._panels)

    def buttons_for(self, request, model_label):
        """The buttons of `model_label`'s list the user may use, as (button, href) pairs."""
        out = []
        for button in self._buttons:
            if button.model != model_label or not request.user.has_perm(button.permission):
                continue
            href = reverse(f"admin:{button.url_name}", current_app=self.name)
            if button.keep_query and request.GET:
                href = f"{href}?{request.GET.urlencode()}"
            out.append((button, href))
        return out

    def get_app_list(self, request, app_label=None):
        """Built when first read, once per request: Django asks for it on every page, for the navigation
        sidebar, also where the page hides the sidebar (the operations list and page), and twice on
        the index."""
        return memo(
            request,
            ("app list", self.name, app_label),
            lambda: SimpleLazyObject(lambda: self._app_list(request, app_label)),
        )

    def _app_list(self, request, app_label):
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
        custom.append(path("panels/", self.admin_view(self.panels_view), name="panels"))
        return custom + super().get_urls()

    def built_panels(self, request, live_only=False):
        """The panels `request.user` sees now, in order: [{"template", "ctx", "live"}]."""
        panels = []
        for panel in sorted(self._panels, key=lambda p: p.order):
            if live_only and not panel.live:
                continue
            ctx = panel.build(request)
            if ctx is not None:
                panels.append({"template": panel.template, "ctx": ctx, "live": panel.live})
        return panels

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "panels": self.built_panels(request)}
        return super().index(request, extra_context)

    def panels_view(self, request):
        """The live panels as rendered HTML (the index's 30-second refresh, static/qoricash/js/live.js).

        Polling a small JSON view is enough at this desk's scale (a few dozen staff, every 30 s): it
        needs no new infrastructure, and each request goes through the same login, permission checks
        and panel builders as the page itself. Past a few hundred open pages, or to show a change the
        moment it happens, the next step is server-sent events fed by Redis pub/sub (services publish
        "operation changed" on commit; a small async endpoint streams it), not a faster poll.
        """
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        panels = [
            {"key": p["template"], "html": render_to_string(p["template"], {"ctx": p["ctx"]}, request=request)}
            for p in self.built_panels(request, live_only=True)
        ]
        response = JsonResponse({"panels": panels})
        response["Cache-Control"] = "no-store"
        return response
