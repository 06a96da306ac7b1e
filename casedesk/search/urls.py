from __future__ import annotations

from django.urls import path

from casedesk.search import views

app_name = "search"

urlpatterns = [
    path("", views.team_search, name="team"),
    path("my-cases/", views.portal_search, name="portal"),
]
