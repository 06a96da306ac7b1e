"""Root URLs. Each app owns its own urls module; this file only mounts them."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from casedesk import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("casedesk.accounts.urls")),
    path("settings/saved-replies/", include("casedesk.cases.saved_reply_urls")),
    path("settings/", include("casedesk.accounts.settings_urls")),
    path("cases/", include("casedesk.cases.urls")),
    path("my-cases/", include("casedesk.portal.urls")),
    path("", include("casedesk.mail.urls")),
    path("admin/jobs/", include("casedesk.jobs.urls")),
    path("api/", include("casedesk.api.urls")),
    path("search/", include("casedesk.search.urls")),
    path("", include("casedesk.support.urls")),
    path("django-admin/", admin.site.urls),
]
