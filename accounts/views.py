"""Login protection, the 429 page, and the password views (invitation link and "forgot my password")."""

import logging
import mimetypes
import os

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from accounts import audit
from accounts.audit_actions import AccountAction
from accounts.forms import PasswordResetRequestForm, SetPasswordForm
from accounts.login_limits import email_key, password_reset_rate
from qoricash import downloads

log = logging.getLogger(__name__)


# --- rate limiting --------------------------------------------------------------------------------
def ratelimited(request, exception=None):
    """RATELIMIT_VIEW: HTTP 429 with the Spanish page; blocked login attempts enter the audit."""
    if request.method == "POST" and request.path.startswith(("/admin/login", "/accounts/")):
        username = (request.POST.get("username") or request.POST.get("email") or "").strip()[:150]
        log.warning("Rate limit hit on %s for %r", request.path, username)
        audit.record(
            AccountAction.LOGIN_BLOCKED,
            None,
            actor=None,
            object_type="accounts.user",
            object_repr=username,
            message=request.path,
        )
    try:
        body = render_to_string("429.html", request=request)
    except TemplateDoesNotExist:
        body = render_to_string("accounts/429_fallback.html", request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = "60"
    return response


# --- password views -------------------------------------------------------------------------------
class AdminContextMixin:
    """Render with the admin's branding (site header, title) although the pages are public."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update({k: v for k, v in admin.site.each_context(self.request).items() if k not in ctx})
        ctx["is_nav_sidebar_enabled"] = False  # public pages: no (empty) model list
        return ctx


@method_decorator(
    ratelimit(group="password-reset-ip", key="ip", rate=password_reset_rate, method="POST", block=True), name="post"
)
@method_decorator(
    ratelimit(group="password-reset-email", key=email_key, rate=password_reset_rate, method="POST", block=True),
    name="post",
)
class PasswordResetView(AdminContextMixin, auth_views.PasswordResetView):
    """ "Olvidé mi contraseña": always the same answer, whether the address exists or not."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        audit.record(
            AccountAction.PASSWORD_RESET_REQUESTED,
            None,
            object_type="accounts.user",
            message=form.cleaned_data["email"][:254],
        )
        return super().form_valid(form)


class PasswordResetDoneView(AdminContextMixin, auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class SetPasswordView(AdminContextMixin, auth_views.PasswordResetConfirmView):
    """The one-time link of an invitation or a reset: choose a password (Django's validators)."""

    form_class = SetPasswordForm
    template_name = "accounts/password_set_form.html"
    success_url = reverse_lazy("password_reset_complete")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(AccountAction.PASSWORD_SET, form.user, actor=form.user)
        return response


class SetPasswordDoneView(AdminContextMixin, auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_set_done.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = _("Password saved")
        return ctx


# --- private files ---------------------------------------------------------------------------------
@never_cache
@require_safe
def download_private_file(request, kind, pk):
    """The one download view of private files (see qoricash/downloads.py for the rules it applies)."""
    model = downloads.registry().get(kind)
    if model is None:
        raise Http404
    opts = model._meta
    if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        raise PermissionDenied
    obj = downloads.visible_queryset(model, request.user).filter(pk=pk).first()
    if obj is None or not obj.file:
        raise Http404
    filename = downloads.safe_filename(obj)
    storage, name = obj.file.storage, obj.file.name
    path = downloads.local_path(storage, name)
    if path is not None and not os.path.exists(path):
        log.error("Private file missing on disk: %s (%s %s)", name, opts.label, pk)
        raise Http404
    # Recorded only once the file is known to exist: a 404 is not a download.
    audit.record(AccountAction.FILE_DOWNLOADED, obj, message=filename)
    content_type = obj.content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if path is not None:
        response = FileResponse(open(path, "rb"), as_attachment=True, filename=filename, content_type=content_type)  # noqa: SIM115
    else:
        response = HttpResponseRedirect(downloads.signed_url(storage, name, filename, content_type))
        response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
