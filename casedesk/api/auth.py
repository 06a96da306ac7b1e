"""How API requests say who they are: a bearer token (integrations) or the browser session.

Both produce the same ``Viewer`` that pages use, so the API applies exactly the access rules
of ``casedesk.cases.access``. Session requests that change data need the CSRF token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from casedesk.accounts.access import Viewer, viewer_for_user, viewer_from_request
from casedesk.accounts.models import hash_token
from casedesk.api.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Viewer | None:
        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=hash_token(token.strip()), revoked_at__isnull=True)
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        viewer = viewer_for_user(row.user)
        request._casedesk_viewer = viewer  # type: ignore[attr-defined]
        return viewer


class SessionViewerAuth(APIKeyCookie):
    """The browser's session: a signed-in user or a magic-link session (CSRF checked on writes)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        # No session cookie: not a browser session, so answer 401 rather than a CSRF failure.
        if not request.COOKIES.get(self.param_name):
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        viewer = viewer_from_request(request)
        if viewer.is_authenticated_user or viewer.magic_grants:
            return viewer
        return None


def request_viewer(request: HttpRequest) -> Viewer:
    auth = getattr(request, "auth", None)
    if isinstance(auth, Viewer):
        return auth
    return viewer_from_request(request)
