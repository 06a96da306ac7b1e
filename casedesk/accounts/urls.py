from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, reverse_lazy

from casedesk.accounts import settings_views, views

app_name = "accounts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html", success_url=reverse_lazy("settings:profile")
        ),
        name="password_change",
    ),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("magic/<str:token>/", views.magic_link, name="magic"),
    path("magic/<str:token>/fresh/", views.magic_link_fresh, name="magic_fresh"),
    path("magic/<str:token>/resend/", views.magic_link_resend, name="magic_resend"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("agency/", views.switch_agency, name="switch_agency"),
    path("photo/<str:token>", settings_views.photo, name="photo"),
]
