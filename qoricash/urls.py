from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from qoricash import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("health/", views.health, name="health"),
    # Public password pages ("Olvidé mi contraseña", invitation links); before admin/ on purpose.
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH:  # make bench: Django's own ModelAdmin on the same data, for comparison
    from qoricash.benchmark import bare_admin_urls

    urlpatterns.append(path("bare-admin/", bare_admin_urls()))

handler400 = "qoricash.views.error_400"
handler403 = "qoricash.views.error_403"
handler404 = "qoricash.views.error_404"
handler500 = "qoricash.views.error_500"
