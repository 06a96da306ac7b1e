"""Who may see and act on failed jobs (Admin → Failed Jobs). Reads go through here.

Platform staff see every tenant's jobs (and jobs with no tenant). An agency's owners and
admins see their own tenant's jobs. Members, clients and everyone else see none; a job they
may not see is the same 404 as a job that does not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from casedesk.accounts.access import Viewer
from casedesk.accounts.models import Agency
from casedesk.jobs.models import FailedJob


def managed_agency_ids(viewer: Viewer) -> list[int]:
    return [agency_id for agency_id in viewer.memberships() if viewer.is_manager(agency_id)]


def can_see_failed_jobs(viewer: Viewer) -> bool:
    return viewer.is_platform_staff or bool(managed_agency_ids(viewer))


def visible_failed_jobs(viewer: Viewer) -> QuerySet[FailedJob]:
    """Every failed job this viewer may see (any status)."""
    if viewer.is_platform_staff:
        return FailedJob.objects.all()
    agency_ids = managed_agency_ids(viewer)
    if not agency_ids:
        return FailedJob.objects.none()
    return FailedJob.objects.filter(tenant_id__in=agency_ids)


def visible_tenants(viewer: Viewer) -> QuerySet[Agency]:
    """Tenants offered in the page's tenant filter."""
    if viewer.is_platform_staff:
        return Agency.objects.order_by("name")
    return Agency.objects.filter(pk__in=managed_agency_ids(viewer)).order_by("name")


def access_failed_jobs_page(viewer: Viewer) -> None:
    if not can_see_failed_jobs(viewer):
        raise Http404("No such page.")


def access_failed_job(viewer: Viewer, failed_job_id: int) -> FailedJob:
    job = visible_failed_jobs(viewer).select_related("tenant", "resolved_by").filter(pk=failed_job_id).first()
    if job is None:
        raise Http404("No such failed job.")
    return job
