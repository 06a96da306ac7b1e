"""The Content-Security-Policy middleware: django-csp's, with this host's websocket origins.

``connect-src 'self'`` covers ``ws:``/``wss:`` to the same host in CSP Level 3 browsers, but not
in older ones (Safari before 15.4). Naming ``ws://<host>`` and ``wss://<host>`` of the request
keeps live updates working there without allowing websockets to any other host, which the bare
``ws:``/``wss:`` schemes would.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase


class CaseDeskCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if parts.config is None and parts.replace is None:
            try:
                host = request.get_host()
            except Exception:  # DisallowedHost: no header value worth naming
                return parts
            update = dict(parts.update or {})
            update["connect-src"] = [*update.get("connect-src", []), f"ws://{host}", f"wss://{host}"]
            parts.update = update
        return parts
