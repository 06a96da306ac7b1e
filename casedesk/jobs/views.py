"""Admin → Failed Jobs. Thin views: access (casedesk.jobs.access) → action (casedesk.jobs.actions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from casedesk.accounts.access import viewer_from_request
from casedesk.jobs.access import (
    access_failed_job,
    access_failed_jobs_page,
    visible_failed_jobs,
    visible_tenants,
)
from casedesk.jobs.actions import do_discard_failed_job, do_replay_failed_job, do_replay_failed_jobs
from casedesk.jobs.models import FailedJob, TaskFailure
from casedesk.lib.errors import ActionError
from casedesk.lib.ids import parse_id

PAGE_SIZE = 100
AGES = [
    ("", "Any age"),
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("older", "Older than 7 days"),
]
AGE_DELTAS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}
STATUSES = [("open", "Open"), ("replayed", "Replayed"), ("discarded", "Discarded"), ("all", "All")]


@dataclass
class JobFilters:
    kind: str = ""
    tenant: str = ""
    age: str = ""
    status: str = "open"

    @classmethod
    def from_data(cls, data: Any) -> JobFilters:
        status = data.get("status") or "open"
        age = data.get("age") or ""
        return cls(
            kind=(data.get("kind") or "")[:100],
            tenant=data.get("tenant") if parse_id(data.get("tenant")) is not None else "",
            age=age if age in dict(AGES) else "",
            status=status if status in dict(STATUSES) else "open",
        )

    def apply(self, jobs: QuerySet[FailedJob]) -> QuerySet[FailedJob]:
        if self.status != "all":
            jobs = jobs.filter(status=self.status)
        if self.kind:
            jobs = jobs.filter(kind=self.kind)
        if self.tenant:
            jobs = jobs.filter(tenant_id=int(self.tenant))
        now = timezone.now()
        if self.age in AGE_DELTAS:
            jobs = jobs.filter(last_failed_at__gte=now - AGE_DELTAS[self.age])
        elif self.age == "older":
            jobs = jobs.filter(last_failed_at__lt=now - timedelta(days=7))
        return jobs

    def query(self) -> str:
        return urlencode({k: v for k, v in vars(self).items() if v})

    @property
    def active(self) -> bool:
        return bool(self.kind or self.tenant or self.age or self.status != "open")


def team_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-out people are sent to sign in; a magic-link session (a client) gets the same 404 as others."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if viewer_from_request(request).magic_grants:
                raise Http404("No such page.")
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not target.startswith("/admin/jobs/"):
        target = fallback
    return HttpResponseRedirect(target)


@team_login_required
def failed_jobs(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    access_failed_jobs_page(viewer)
    filters = JobFilters.from_data(request.GET)
    visible = visible_failed_jobs(viewer)
    jobs = filters.apply(visible).select_related("tenant")
    total = jobs.count()
    kinds = list(visible.values("kind").annotate(n=Count("id")).order_by("kind"))
    return render(
        request,
        "jobs/failed_list.html",
        {
            "jobs": list(jobs[:PAGE_SIZE]),
            "total": total,
            "shown": min(total, PAGE_SIZE),
            "filters": filters,
            "kinds": kinds,
            "tenants": list(visible_tenants(viewer)),
            "ages": AGES,
            "statuses": STATUSES,
        },
    )


@team_login_required
def failed_job_detail(request: HttpRequest, failed_job_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    job = access_failed_job(viewer, failed_job_id)
    attempts = (
        list(TaskFailure.objects.filter(task_id=job.task_id).order_by("attempt", "failed_at"))
        if job.task_id
        else []
    )
    return render(
        request,
        "jobs/failed_detail.html",
        {
            "job": job,
            "attempt_log": attempts,
            "audit": list(job.audit_entries.select_related("actor")),
            "replays": list(job.replays.all()),
        },
    )


@team_login_required
@require_POST
def replay_failed_job(request: HttpRequest, failed_job_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    job = access_failed_job(viewer, failed_job_id)
    try:
        do_replay_failed_job(job, actor=request.user)  # type: ignore[arg-type]
        messages.success(
            request, f"Replaying “{job.label or job.kind}”. It will run again in the background."
        )
    except ActionError as error:
        messages.error(request, error.message)
    return _back(request, reverse("jobs:detail", args=[job.pk]))


@team_login_required
@require_POST
def discard_failed_job(request: HttpRequest, failed_job_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    job = access_failed_job(viewer, failed_job_id)
    try:
        do_discard_failed_job(job, actor=request.user, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
        messages.success(request, f"Discarded “{job.label or job.kind}”.")
    except ActionError as error:
        messages.error(request, error.message)
    return _back(request, reverse("jobs:detail", args=[job.pk]))


@team_login_required
@require_POST
def replay_failed_jobs(request: HttpRequest) -> HttpResponse:
    """Replay every open job that matches the posted filters (and that this person may see)."""
    viewer = viewer_from_request(request)
    access_failed_jobs_page(viewer)
    filters = JobFilters.from_data(request.POST)
    filters.status = "open"
    jobs = list(filters.apply(visible_failed_jobs(viewer)).order_by("id")[:1000])
    replayed, problems = do_replay_failed_jobs(jobs, actor=request.user)  # type: ignore[arg-type]
    if replayed:
        messages.success(request, f"Replaying {replayed} job{'s' if replayed != 1 else ''}.")
    elif not problems:
        messages.warning(request, "No open jobs match these filters, so nothing was replayed.")
    for problem in problems[:10]:
        messages.error(request, problem)
    return HttpResponseRedirect(f"{reverse('jobs:failed')}?{filters.query()}")
