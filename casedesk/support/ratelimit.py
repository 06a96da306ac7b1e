"""Fixed-window rate limits for the public widget endpoints, on the Django cache.

Counters live in the default cache (locmem in embedded mode, Redis in production, where they
are shared across processes). Three scopes are checked on every call: the client IP, the
visitor token and the tenant, so one abusive browser cannot starve an agency and one agency's
traffic cannot starve the platform.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


def limits() -> dict[str, int]:
    """Requests per minute per scope; override with settings.SUPPORT_WIDGET_RATE_LIMITS."""
    defaults = {"ip": 120, "token": 60, "tenant": 3000}
    defaults.update(getattr(settings, "SUPPORT_WIDGET_RATE_LIMITS", {}))
    return defaults


class RateLimited(Exception):
    def __init__(self, *, scope: str, retry_after: int) -> None:
        super().__init__(scope)
        self.scope = scope
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        who = {"ip": "this network", "token": "this chat", "tenant": "this help desk"}[self.scope]
        return (
            f"Too many requests from {who} in the last minute. Wait {self.retry_after} seconds and try again."
        )


def _hit(scope: str, ident: str, limit: int) -> None:
    now = int(time.time())
    window = now // WINDOW_SECONDS
    key = f"support-rl:{scope}:{ident}:{window}"
    # add() is atomic on every backend; incr() on Redis is atomic too.
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    if count > limit:
        raise RateLimited(scope=scope, retry_after=WINDOW_SECONDS - (now % WINDOW_SECONDS) or 1)


def check(*, ip: str, token_id: str | None, tenant_id: int | None) -> None:
    """Count one request in each scope; raise RateLimited when any scope is over its limit."""
    configured = limits()
    _hit("ip", ip or "unknown", configured["ip"])
    if token_id:
        _hit("token", token_id, configured["token"])
    if tenant_id is not None:
        _hit("tenant", str(tenant_id), configured["tenant"])
