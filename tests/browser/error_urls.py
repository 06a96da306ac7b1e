"""casedesk's URLs plus two that fail on purpose, so the browser tests can audit the real 403 and
500 pages (Django renders 403.html and 500.html for them, as in production)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from casedesk.urls import urlpatterns as casedesk_urlpatterns


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("A deliberate failure: the browser tests audit the 500 page.")


urlpatterns = [
    path("test-errors/403/", forbidden),
    path("test-errors/500/", broken),
    *casedesk_urlpatterns,
]
