"""Sidebar figures for this app, read with the other apps' figures in one query (SidebarFigures)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from casedesk.accounts.access import viewer_from_request
from casedesk.accounts.context_processors import SidebarFigures, request_current_agency
from casedesk.jobs.models import FailedJob, FailedJobStatus


def shell(request: HttpRequest) -> dict[str, Any]:
    """``failed_jobs_count``: open jobs of the current agency (owners/admins); all (platform staff)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    viewer = viewer_from_request(request)
    open_jobs = FailedJob.objects.filter(status=FailedJobStatus.OPEN)
    figures = SidebarFigures.of(request)
    if viewer.is_platform_staff:
        return {"failed_jobs_count": figures.count("failed_jobs_count", open_jobs)}
    current = request_current_agency(request, viewer)
    if current is None or not viewer.is_manager(current.pk):
        return {}
    return {"failed_jobs_count": figures.count("failed_jobs_count", open_jobs.filter(tenant_id=current.pk))}
