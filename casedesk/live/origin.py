"""Which websocket handshakes are let through, by Origin.

Pages of casedesk itself connect from an allowed host (Channels' AllowedHostsOriginValidator).
The support widget also runs on agencies' own websites: its socket accepts those origins when
the agency lists them under Settings → Support Widget Visibility → Allowed origins; the check
is made by the widget consumer, which knows the agency (``casedesk.support.consumers``).
"""

from __future__ import annotations

from typing import Any

from channels.security.websocket import AllowedHostsOriginValidator

WIDGET_SOCKET_PREFIX = "/ws/support/widget/"


class SiteOrWidgetOriginValidator:
    def __init__(self, application: Any) -> None:
        self.application = application
        self.site_only = AllowedHostsOriginValidator(application)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("path", "").startswith(WIDGET_SOCKET_PREFIX):
            return await self.application(scope, receive, send)
        return await self.site_only(scope, receive, send)


def origin_of_scope(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            origin = value.decode("latin-1").rstrip("/").lower()
            return "" if origin == "null" else origin
    return ""
