"""Public password pages: "Olvidé mi contraseña" and the one-time set-password link (invitations too).

The URL name `admin_password_reset` makes Django's admin login page show its "forgot password" link.
"""

from django.urls import path

from accounts import views

urlpatterns = [
    path("password_reset/", views.PasswordResetView.as_view(), name="admin_password_reset"),
    path("password_reset/done/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="password_reset_confirm"),
    path("reset/done/", views.SetPasswordDoneView.as_view(), name="password_reset_complete"),
]
