"""THE write paths for failed jobs: replay and discard, each recorded (who, when, why)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from casedesk.accounts.models import User
from casedesk.jobs.models import FailedJob, FailedJobStatus, JobAuditAction, JobAuditEntry
from casedesk.jobs.runner import task_for_path
from casedesk.lib.errors import ActionError

logger = logging.getLogger("casedesk.jobs")


def _lock_open(failed_job_id: int) -> FailedJob:
    job = FailedJob.objects.select_for_update().filter(pk=failed_job_id).first()
    if job is None:
        raise ActionError("This failed job no longer exists. Reload the page to see the current list.")
    if job.status != FailedJobStatus.OPEN:
        verb = "replayed" if job.status == FailedJobStatus.REPLAYED else "discarded"
        raise ActionError(
            f"This job was already {verb}. Reload the page to see the current list.", code="not_open"
        )
    return job


def do_replay_failed_job(failed_job: FailedJob, *, actor: User | None) -> FailedJob:
    """Enqueue the job's task again with its original arguments, as a new task.

    Replaying is safe because handlers are idempotent: effects that already happened (a case
    opened, an email recorded as sent) are not repeated. Runs in one transaction: the new task
    and the "replayed" mark commit together.
    """
    with transaction.atomic():
        job = _lock_open(failed_job.pk)
        try:
            task = task_for_path(job.task_path)
        except ImportError as error:
            raise ActionError(
                f"This job's task ({job.task_path}) no longer exists in this version of casedesk, "
                "so it cannot be replayed. Discard it with a reason instead.",
                code="task_missing",
            ) from error
        result = task.enqueue(*job.args, **job.kwargs)
        now = timezone.now()
        job.status = FailedJobStatus.REPLAYED
        job.resolved_at = now
        job.resolved_by = actor
        job.replay_task_id = result.id
        job.save(update_fields=["status", "resolved_at", "resolved_by", "replay_task_id"])
        JobAuditEntry.objects.create(
            failed_job=job, action=JobAuditAction.REPLAY, actor=actor, new_task_id=result.id, at=now
        )
    logger.info("Failed job %s (%s) replayed by %s as task %s", job.pk, job.kind, actor, result.id)
    return job


def do_replay_failed_jobs(failed_jobs: Iterable[FailedJob], *, actor: User | None) -> tuple[int, list[str]]:
    """Replay a batch (each in its own transaction). Returns (replayed count, error sentences)."""
    replayed, problems = 0, []
    for job in failed_jobs:
        try:
            do_replay_failed_job(job, actor=actor)
            replayed += 1
        except ActionError as error:
            if error.code != "not_open":
                problems.append(f"{job.label or job.kind}: {error.message}")
    return replayed, problems


def do_discard_failed_job(failed_job: FailedJob, *, actor: User | None, reason: str) -> FailedJob:
    """Close a failed job without running it again. A reason is required and kept."""
    reason = reason.strip()
    if not reason:
        raise ActionError(
            'Say why you are discarding this job (for example, "customer was answered by phone").',
            field="reason",
        )
    with transaction.atomic():
        job = _lock_open(failed_job.pk)
        now = timezone.now()
        job.status = FailedJobStatus.DISCARDED
        job.resolved_at = now
        job.resolved_by = actor
        job.resolution_reason = reason[:2000]
        job.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_reason"])
        JobAuditEntry.objects.create(
            failed_job=job, action=JobAuditAction.DISCARD, actor=actor, reason=reason[:2000], at=now
        )
    logger.info("Failed job %s (%s) discarded by %s: %s", job.pk, job.kind, actor, reason)
    return job
