from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from casedesk.cases.views import cases as views
from casedesk.cases.views import magic_links as magic_link_views

app_name = "cases"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("casedesk.cases.thread_urls")),
    path("", views.case_list, name="list"),
    path("new/", views.case_create, name="create"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/status/", views.case_set_status, name="set_status"),
    path("<int:case_id>/links/", magic_link_views.magic_links_page, name="magic_links"),
    path(
        "<int:case_id>/links/<int:link_id>/revoke",
        magic_link_views.magic_link_revoke,
        name="magic_link_revoke",
    ),
]
