"""Sidebar figure for the mail app: how much inbound mail waits in quarantine."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from casedesk.accounts.access import viewer_from_request
from casedesk.accounts.context_processors import SidebarFigures
from casedesk.mail.access import quarantined_emails


def shell(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    viewer = viewer_from_request(request)
    if not viewer.memberships():
        return {}
    figures = SidebarFigures.of(request)
    return {"quarantine_count": figures.count("quarantine_count", quarantined_emails(viewer))}
