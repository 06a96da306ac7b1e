"""Websocket routes: the live consumer for pages, plus the support widget's own routes."""

from __future__ import annotations

from typing import Any

from django.urls import path

from casedesk.live.consumers import LiveConsumer
from casedesk.support.routing import websocket_urlpatterns as support_routes

websocket_urlpatterns: list[Any] = [
    path("ws/live/", LiveConsumer.as_asgi()),
    *support_routes,
]
