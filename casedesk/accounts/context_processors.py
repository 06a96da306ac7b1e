from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from casedesk.accounts.access import current_agency, team_agencies, viewer_from_request


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the sidebar needs on every page. Cheap: one memberships query per request (cached)."""
    viewer = viewer_from_request(request)
    current = current_agency(request, viewer)
    return {
        "viewer": viewer,
        "team_agencies": team_agencies(viewer),
        "current_agency": current,
        "is_manager": bool(current and viewer.is_manager(current.pk)),
    }
