"""Websocket routes: the live consumer for pages, plus the support widget's own routes."""

from __future__ import annotations

from typing import Any

from casedesk.support.routing import websocket_urlpatterns as support_routes

websocket_urlpatterns: list[Any] = [*support_routes]
