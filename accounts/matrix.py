"""The permission matrix: which admin URL each role may open, derived from the roles table.

One source for two consumers:
- `tests/test_permission_matrix.py` requests every admin URL as each role and as an anonymous user
  and compares the status with `expected(...)`, computed from `accounts.roles.ROLE_PERMISSIONS`;
- `python manage.py permission_matrix --output docs/permissions.md` writes the same table for people.

Standard ModelAdmin URLs (changelist, add, change, history, delete) and django-import-export's
import/export URLs are derived from the model's permissions, so a model registered in the admin is
covered automatically. Any *other* admin URL (a custom view from `admin.site.register_view`, a
transition button's URL in a ModelAdmin's `get_urls`) needs a rule, declared by its app's
`registry.register()`:

    from accounts import matrix
    matrix.rule("operations_operation_send", perms=["operations.change_operation"],
                model="operations.operation", method="POST", ok=302)

The matrix test fails for any admin URL without a rule, so nothing new ships unreviewed.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_permission_codename

from accounts.roles import ROLE_PERMISSIONS

ANONYMOUS = "anónimo"


@dataclass(frozen=True)
class Rule:
    """One admin URL and who may open it.

    name: URL name inside the admin namespace. perms: permissions required (all of them, or any
    one with any_perm; none = every staff user). model: label of the object whose pk fills the
    URL's object_id/pk/id. kwargs: fixed URL kwargs. ok/denied: expected status with and without
    the permissions (anonymous users are always sent to the login page).
    """

    name: str
    perms: tuple = ()
    any_perm: bool = False
    model: str | None = None
    kwargs: dict = field(default_factory=dict, hash=False, compare=False)
    method: str = "GET"
    ok: int = 200
    denied: int = 403
    label: str = ""
    group: str = ""

    @property
    def key(self):
        extra = ",".join(f"{k}={v}" for k, v in sorted(self.kwargs.items()))
        return f"{self.name}[{extra}]" if extra else self.name

    def allows(self, permissions: set[str]) -> bool:
        if not self.perms:
            return True
        hits = [p in permissions for p in self.perms]
        return any(hits) if self.any_perm else all(hits)

    def expected(self, role) -> int:
        if role == ANONYMOUS:
            return 302
        return self.ok if self.allows(ROLE_PERMISSIONS[role]) else self.denied


_declared: dict[str, Rule] = {}

# Admin-site URLs that carry no permission of their own, with the reason.
EXEMPT = {
    "login": "public by design (rate limited)",
    "logout": "POST only; ends the caller's own session",
    "autocomplete": "checks the target model's view permission itself; needs query parameters",
    "view_on_site": "redirects to a model's public URL; no model here defines one",
    "jsi18n": "JavaScript translation catalogue, no data",
}


def rule(name, perms=(), **options) -> Rule:
    """Declare the matrix entry of a custom admin URL (call it from the app's admin.py)."""
    r = Rule(name=name, perms=tuple(perms), **options)
    _declared[r.key] = r
    return r


def _perm(opts, action):
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


def model_rules(model_admin) -> list[Rule]:
    """The rules of one registered ModelAdmin: standard views plus import/export when present."""
    opts = model_admin.model._meta
    label = opts.label_lower
    prefix = f"{opts.app_label}_{opts.model_name}"
    group = f"{opts.app_label}.{opts.object_name}"
    view_or_change = (_perm(opts, "view"), _perm(opts, "change"))
    rules = [
        Rule(f"{prefix}_changelist", view_or_change, any_perm=True, label="listado", group=group),
        Rule(f"{prefix}_add", (_perm(opts, "add"),), label="crear", group=group),
        Rule(f"{prefix}_change", view_or_change, any_perm=True, model=label, label="ver/editar", group=group),
        Rule(f"{prefix}_history", view_or_change, any_perm=True, model=label, label="historial", group=group),
        Rule(f"{prefix}_delete", (_perm(opts, "delete"),), model=label, label="eliminar", group=group),
    ]
    names = {r.name for r in _admin_url_names(model_admin)}
    if f"{prefix}_import" in names:
        imp = (_perm(opts, "import"),)
        rules.append(Rule(f"{prefix}_import", imp, label="importar", group=group))
        rules.append(
            Rule(f"{prefix}_process_import", imp, ok=405, denied=405, label="importar (solo POST)", group=group)
        )
    if f"{prefix}_export" in names:
        rules.append(Rule(f"{prefix}_export", (_perm(opts, "export"),), label="exportar", group=group))
    return rules


def download_rules() -> list[Rule]:
    from qoricash.downloads import registry

    rules = []
    for kind, model in sorted(registry().items()):
        opts = model._meta
        rules.append(
            Rule(
                "private_file",
                (_perm(opts, "view"),),
                model=opts.label_lower,
                kwargs={"kind": kind},
                label=f"descargar archivo ({kind})",
                group=f"{opts.app_label}.{opts.object_name}",
            )
        )
    return rules


def site_rules(site) -> list[Rule]:
    rules = [
        Rule("index", label="inicio del admin", group="admin"),
        Rule("panels", label="paneles del inicio (JSON, cada 30 s; cada panel filtra por permiso)", group="admin"),
        Rule("password_change", label="cambiar mi contraseña", group="admin"),
        Rule("password_change_done", label="contraseña cambiada", group="admin"),
    ]
    app_labels = sorted({m._meta.app_label for m in site._registry})
    for app_label in app_labels:
        # The app page lists the models the user may see or add; Django answers 404 when there are none.
        rules.append(
            Rule(
                "app_list",
                _app_permissions(site, app_label),
                any_perm=True,
                kwargs={"app_label": app_label},
                denied=404,
                label=f"página de la app {app_label}",
                group="admin",
            )
        )
    return rules


def _app_permissions(site, app_label) -> tuple:
    out = set()
    for model in site._registry:
        opts = model._meta
        if opts.app_label != app_label:
            continue
        for action in ("view", "add", "change", "delete"):
            out.add(_perm(opts, action))
    # Custom pages listed in the navigation under this app (e.g. the position) also open its page.
    out.update(link.permission for link in getattr(site, "_nav", ()) if link.app_label == app_label)
    return tuple(sorted(out))


def all_rules(site=None) -> list[Rule]:
    """Every rule: site pages, every registered model, downloads, and declared custom rules."""
    if site is None:
        from django.contrib import admin

        site = admin.site
    rules = site_rules(site)
    for model in sorted(site._registry, key=lambda m: m._meta.label_lower):
        rules.extend(model_rules(site._registry[model]))
    rules.extend(download_rules())
    rules.extend(_declared.values())
    seen, unique = set(), []
    for r in rules:
        if r.key not in seen:
            seen.add(r.key)
            unique.append(r)
    return unique


def _admin_url_names(model_admin):
    from django.urls import URLPattern

    return [p for p in model_admin.get_urls() if isinstance(p, URLPattern) and p.name]


def admin_url_names(site=None) -> set[str]:
    """Every named URL the admin site serves (site views, custom views, every ModelAdmin's URLs)."""
    from django.urls import URLPattern, URLResolver

    if site is None:
        from django.contrib import admin

        site = admin.site

    names = set()

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(p.name)

    walk(site.get_urls())
    return names


def uncovered(site=None) -> list[str]:
    """Admin URL names without a matrix rule or an exemption (the matrix test asserts it is empty)."""
    covered = {r.name for r in all_rules(site)} | set(EXEMPT)
    return sorted(admin_url_names(site) - covered)


def roles() -> list[str]:
    return [*ROLE_PERMISSIONS, ANONYMOUS]


def render_markdown(site=None) -> str:
    """docs/permissions.md: one table per group of URLs, one column per role."""
    from django.urls import NoReverseMatch, reverse

    columns = roles()
    lines = [
        "# Permission matrix",
        "",
        "Generated by `python manage.py permission_matrix --output docs/permissions.md` from",
        "`accounts/roles.py` (the default permissions of each role) and the URLs registered in the admin.",
        "Do not edit by hand: `tests/test_permission_matrix.py` requests every URL below as each role and",
        "fails when the application, the groups or this file disagree with the roles table.",
        "",
        "Legend: ✔ allowed (expected HTTP status), ✘ refused (status), → login: anonymous users are",
        "redirected to the login page (302). Objects are always filtered by the portfolio rule",
        "(`visible_to(user)`): a Trader only reaches its own clients' objects, others answer 404 or",
        "redirect to the index. Deleting is disabled for every model (no role holds a delete permission).",
        "",
    ]
    by_group: dict[str, list[Rule]] = {}
    for r in all_rules(site):
        by_group.setdefault(r.group or "otros", []).append(r)
    for group in sorted(by_group, key=lambda g: (g != "admin", g)):
        lines += [f"## {group}", "", "| URL | acción | " + " | ".join(columns) + " |"]
        lines.append("|---|---|" + "---|" * len(columns))
        for r in by_group[group]:
            kwargs = dict(r.kwargs)
            if r.model:
                kwargs.setdefault("object_id" if r.name.endswith(("_change", "_history", "_delete")) else "pk", "<id>")
            try:
                url = reverse(f"admin:{r.name}", kwargs=_placeholder_kwargs(kwargs))
                url = url.replace("999999", "<id>")
            except NoReverseMatch:
                url = f"admin:{r.name}"
            cells = []
            for role in columns:
                status = r.expected(role)
                if role == ANONYMOUS:
                    cells.append("→ login")
                elif r.allows(ROLE_PERMISSIONS[role]):
                    cells.append(f"✔ {status}")
                else:
                    cells.append(f"✘ {status}")
            method = "" if r.method == "GET" else f" ({r.method})"
            lines.append(f"| `{url}`{method} | {r.label or r.name} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Permissions of each role (accounts/roles.py)", ""]
    for role, perms in ROLE_PERMISSIONS.items():
        lines += [f"### {role} ({len(perms)})", "", ", ".join(f"`{p}`" for p in sorted(perms)), ""]
    return "\n".join(lines).rstrip() + "\n"


def _placeholder_kwargs(kwargs):
    return {k: ("999999" if v == "<id>" else v) for k, v in kwargs.items()}
