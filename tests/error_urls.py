"""The site's URLs plus views that fail on purpose, for tests/test_error_pages.py."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from casedesk.urls import urlpatterns as site_urlpatterns


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("SECRET_KEY=do-not-show-me")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("internal reason do-not-show-me")


def bad_request(request: HttpRequest) -> HttpResponse:
    raise BadRequest("internal reason do-not-show-me")


urlpatterns: list[Any] = [
    path("test-errors/crash/", crash),
    path("test-errors/forbidden/", forbidden),
    path("test-errors/bad-request/", bad_request),
    path("api/test-errors/crash", crash),
    *site_urlpatterns,
]
