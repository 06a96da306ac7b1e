"""Sidebar figures for this app. Keep to one cheap query, and only when a template asks."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from casedesk.accounts.access import viewer_from_request
from casedesk.cases.access import unread_notification_count


def shell(request: HttpRequest) -> dict[str, Any]:
    viewer = viewer_from_request(request)
    if not viewer.is_authenticated_user or viewer.user is None:
        return {"bell_unread": 0}
    user_id = viewer.user.pk
    # Lazy: pages without the bell (portal, sign-in) run no query for it.
    return {"bell_unread": SimpleLazyObject(lambda: unread_notification_count(user_id))}
