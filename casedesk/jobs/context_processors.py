"""Sidebar figures for this app. Keep to one cheap query."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from casedesk.accounts import access as accounts_access
from casedesk.accounts.access import team_agencies, viewer_from_request
from casedesk.jobs.models import FailedJob, FailedJobStatus


def shell(request: HttpRequest) -> dict[str, Any]:
    """``failed_jobs_count``: open jobs of the current agency (owners/admins); all (platform staff)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    viewer = viewer_from_request(request)
    open_jobs = FailedJob.objects.filter(status=FailedJobStatus.OPEN)
    if viewer.is_platform_staff:
        return {"failed_jobs_count": open_jobs.count()}
    # The same "current agency" as the sidebar (accounts.access.current_agency when available).
    pick_current = getattr(accounts_access, "current_agency", None)
    if pick_current is not None:
        current = pick_current(request, viewer)
    else:
        agencies = team_agencies(viewer)
        wanted = request.session.get("agency_id") if hasattr(request, "session") else None
        current = next((a for a in agencies if a.pk == wanted), agencies[0] if agencies else None)
    if current is None or not viewer.is_manager(current.pk):
        return {}
    return {"failed_jobs_count": open_jobs.filter(tenant_id=current.pk).count()}
