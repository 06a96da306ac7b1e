from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse

# When the session was last written, in epoch seconds (see SlidingSessionMiddleware).
SESSION_REFRESHED_KEY = "_refreshed"


class ActiveUserMiddleware:
    """A deactivated user's existing sessions stop working on their next request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_active:
            logout(request)
        return self.get_response(request)


def session_refresh_seconds() -> int:
    """How often an unchanged session is written again to slide its idle timeout forward."""
    return max(1, min(300, settings.SESSION_COOKIE_AGE // 20))


class SlidingSessionMiddleware(SessionMiddleware):
    """Django's session middleware with an idle timeout that does not cost a write per request.

    ``SESSION_SAVE_EVERY_REQUEST`` rewrote the session row (a write transaction, three SQL
    statements and an fsync) on every request, API calls and page reads included, just to move
    the expiry forward. Here an unchanged session is written again only when its last write is
    older than ``session_refresh_seconds()`` (5 minutes, or 1/20 of ``SESSION_COOKIE_AGE`` when
    that is shorter). The idle timeout still slides: a session expires ``SESSION_COOKIE_AGE``
    after its last write, so at most that refresh interval earlier than "since the last
    request". Sessions the request never read are left alone, as before.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.accessed and not session.is_empty():
            now = int(time.time())
            if session.modified:
                session[SESSION_REFRESHED_KEY] = now  # written anyway (sign-in, agency switch…)
            else:
                refreshed = session.get(SESSION_REFRESHED_KEY)
                if not isinstance(refreshed, int) or now - refreshed >= session_refresh_seconds():
                    session[SESSION_REFRESHED_KEY] = now
        return super().process_response(request, response)
