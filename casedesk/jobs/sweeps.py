"""The dead-worker sweep: RUNNING tasks whose worker stopped heartbeating go back to READY (or FAILED).

Run by every worker every ``JOBS_SWEEP_SECONDS`` and by ``casedesk sweep``. Safe to run
concurrently: each task is re-checked under a row lock before it is settled.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casedesk.jobs import conf
from casedesk.jobs.models import WorkerHeartbeat
from casedesk.jobs.runner import WORKER_LOST, record_failure

logger = logging.getLogger("casedesk.jobs")


def sweep_dead_workers(*, dead_after: float | None = None, now: datetime | None = None) -> int:
    """Settle tasks held by dead workers as failed attempts. Returns how many were taken back.

    A holder is dead when its heartbeat is older than ``dead_after`` seconds, when it stopped
    (graceful exit) without finishing the task, when it never heartbeated and the task started
    over ``dead_after`` ago, or when it is alive but has long since moved on to another task.
    """
    dead_after = conf.dead_after_seconds() if dead_after is None else dead_after
    now = now or timezone.now()
    threshold = now - timedelta(seconds=dead_after)
    running = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
            "id", "worker_ids", "started_at"
        )
    )
    if not running:
        return 0
    holders = {ids[-1] for _, ids, _ in running if ids}
    beats = {beat.worker_id: beat for beat in WorkerHeartbeat.objects.filter(worker_id__in=holders)}
    taken_back = 0
    for task_id, worker_ids, started_at in running:
        holder = worker_ids[-1] if worker_ids else ""
        beat = beats.get(holder)
        started_long_ago = started_at is None or started_at < threshold
        if beat is None:
            dead, why = started_long_ago, "never reported a heartbeat"
        elif beat.stopped_at is not None:
            dead, why = True, "stopped without finishing it"
        elif beat.last_seen < threshold:
            dead, why = True, f"has not reported a heartbeat for over {dead_after:g} seconds"
        else:
            moved_on = beat.current_task_id is not None and beat.current_task_id != task_id
            dead, why = moved_on and started_long_ago, "moved on to other work without finishing it"
        if not dead:
            continue
        outcome = record_failure(
            task_id,
            holder,
            error_class=WORKER_LOST,
            message=f"Worker {holder or '(unknown)'} {why}; the task was taken back by the sweep.",
        )
        if outcome != "skipped":
            taken_back += 1
            logger.warning("Took back task %s from worker %s (%s): %s", task_id, holder, why, outcome)
    return taken_back


def prune_heartbeats(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget workers that have been silent for a day (their tasks were swept long ago)."""
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=timezone.now() - older_than).delete()
    return deleted
