"""Root websocket routes. Each app owns its own routing module; this file only mounts them."""

from __future__ import annotations

from typing import Any

from casedesk.live.routing import websocket_urlpatterns as live_routes
from casedesk.support.routing import websocket_urlpatterns as support_routes

websocket_urlpatterns: list[Any] = [*live_routes, *support_routes]
