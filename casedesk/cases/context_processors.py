"""Sidebar figures for this app. Keep to one cheap query, and only when a template asks."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from casedesk.accounts.access import viewer_from_request
from casedesk.accounts.context_processors import SidebarFigures
from casedesk.cases.access import unread_notifications


def shell(request: HttpRequest) -> dict[str, Any]:
    viewer = viewer_from_request(request)
    if not viewer.is_authenticated_user or viewer.user is None:
        return {"bell_unread": 0}
    # Lazy, and read with the other sidebar figures in one query; pages without the bell
    # (portal, sign-in) run no query for it.
    unread = unread_notifications(viewer.user.pk)
    return {"bell_unread": SidebarFigures.of(request).count("bell_unread", unread)}
