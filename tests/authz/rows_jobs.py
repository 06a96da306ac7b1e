"""Admin → Failed Jobs: owners/admins see their tenant's jobs, platform staff all, nobody else anything."""

from __future__ import annotations

from collections.abc import Callable

from casedesk.jobs.models import FailedJob
from tests.authz.matrix import MANAGERS_A, Row
from tests.conftest import Cast


def job_of(cast: Cast, agency_attr: str) -> FailedJob:
    agency = getattr(cast, agency_attr)
    job, _ = FailedJob.objects.get_or_create(
        kind="authz.test",
        tenant=agency,
        label=f"authz job of {agency.slug}",
        defaults={
            "task_path": "casedesk.chaos.standin.escalate_chaos_conversation",
            "args_kwargs": {"args": [0]},
        },
    )
    return job


def job_url(agency_attr: str, suffix: str = "") -> Callable[[Cast], str]:
    return lambda cast: f"/admin/jobs/failed/{job_of(cast, agency_attr).pk}/{suffix}"


MANAGERS_AND_STAFF = MANAGERS_A | {"platform_staff"}

ROWS = [
    Row(
        "failed_jobs",
        "list",
        "GET",
        lambda cast: "/admin/jobs/failed/",
        MANAGERS_AND_STAFF | {"outsider"},  # Dave owns agency B: he sees B's list
    ),
    Row("failed_job_a", "view", "GET", job_url("agency_a"), MANAGERS_AND_STAFF),
    Row("failed_job_b", "view", "GET", job_url("agency_b"), frozenset({"outsider", "platform_staff"})),
    Row("failed_job_a", "replay", "POST", job_url("agency_a", "replay/"), MANAGERS_AND_STAFF, ok=(302,)),
    Row(
        "failed_job_a",
        "discard",
        "POST",
        job_url("agency_a", "discard/"),
        MANAGERS_AND_STAFF,
        data=lambda cast: {"reason": "authz matrix"},
        ok=(302,),
    ),
    Row(
        "failed_jobs",
        "replay_batch",
        "POST",
        lambda cast: "/admin/jobs/failed/replay/",
        MANAGERS_AND_STAFF | {"outsider"},
        ok=(302,),
    ),
]
