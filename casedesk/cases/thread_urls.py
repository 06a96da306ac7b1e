"""Thread, documents and notification routes (Case Messages). Included by this app's urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
