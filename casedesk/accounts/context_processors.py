from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from casedesk.accounts.access import team_agencies, viewer_from_request


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the sidebar needs on every team page. Cheap: one memberships query per request."""
    viewer = viewer_from_request(request)
    agencies = team_agencies(viewer)
    current = None
    if agencies:
        wanted = request.session.get("agency_id") if hasattr(request, "session") else None
        current = next((a for a in agencies if a.pk == wanted), agencies[0])
    return {
        "viewer": viewer,
        "team_agencies": agencies,
        "current_agency": current,
        "is_manager": bool(current and viewer.is_manager(current.pk)),
    }
