from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from casedesk.accounts.access import viewer_from_request


def home(request: HttpRequest) -> HttpResponse:
    """Send each kind of person to their own start page."""
    viewer = viewer_from_request(request)
    # Platform staff are members of the platform agency too; their desk is the console.
    if viewer.is_platform_staff:
        return redirect("support:console")
    if viewer.memberships():
        return redirect("cases:list")
    if viewer.is_authenticated_user or viewer.magic_grants:
        return redirect("portal:list")
    return redirect("accounts:login")
