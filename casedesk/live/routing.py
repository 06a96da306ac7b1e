"""Websocket route of the live consumer for pages (mounted with the others by casedesk/routing.py)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from casedesk.live.consumers import LiveConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
