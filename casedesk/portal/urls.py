from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from casedesk.portal import views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("casedesk.portal.thread_urls")),
    path("", views.case_list, name="list"),
    path("<int:case_id>/", views.case_detail, name="detail"),
]
