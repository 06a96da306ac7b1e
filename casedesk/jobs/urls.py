from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path

app_name = "jobs"


def placeholder(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return render(request, "placeholder.html", {"title": request.path})


urlpatterns: list[URLPattern | URLResolver] = [
    path("failed/", placeholder, name="failed"),
]
