from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, include, path

app_name = "cases"


def placeholder(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return render(request, "placeholder.html", {"title": request.path})


urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("casedesk.cases.thread_urls")),
    path("", placeholder, name="list"),
    path("<int:case_id>/", placeholder, name="detail"),
]
