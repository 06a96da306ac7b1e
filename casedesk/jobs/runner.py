"""Claiming, running and settling queued tasks: the one code path shared by every way of running work.

``casedesk worker`` processes, the embedded worker threads of ``casedesk run`` and
``casedesk.jobs.testing.drain_tasks`` all go through ``claim_next`` → ``execute``, so retries,
backoff and Failed Jobs behave the same in tests as in production.

Attempts are counted as claims: ``len(DBTaskResult.worker_ids)``. A failed attempt with attempts
left puts the *same* row back to READY with ``run_after = now + backoff``; the last one marks it
FAILED and writes a ``FailedJob`` in the same transaction, so a task is never "failed" without a
row in Admin → Failed Jobs.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
import traceback as traceback_module
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskContext, TaskResultStatus, normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from casedesk.jobs import conf
from casedesk.jobs.models import FailedJob, FailedJobOrigin, TaskFailure
from casedesk.jobs.policy import PermanentFailure, RetryPolicy, policy_for

logger = logging.getLogger("casedesk.jobs")
T = TypeVar("T")

WORKER_LOST = "casedesk.jobs.WorkerLost"
MAX_TRACEBACK_CHARS = 20_000


# --- Database resilience ---------------------------------------------------------------------


def reset_connection_if_broken() -> None:
    """After a database error outside a transaction, drop the connection so the next query reconnects."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def with_db_retry(func: Callable[[], T], *, what: str, give_up_after: float = 120.0) -> T:
    """Run ``func``, retrying on connection errors (database restarting, connections refused).

    Bookkeeping must survive a database that is briefly down, or a finished task would stay
    RUNNING until the dead-worker sweep. Inside an outer transaction (tests) there is nothing
    to reconnect, so it just runs once.
    """
    if connection.in_atomic_block:
        return func()
    deadline = time.monotonic() + give_up_after
    delay = 0.1
    while True:
        try:
            return func()
        except (OperationalError, InterfaceError) as error:
            if time.monotonic() > deadline:
                raise
            logger.warning("Database unavailable while %s (%s); retrying in %.1fs.", what, error, delay)
            with contextlib.suppress(DatabaseError):
                connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


# --- Claiming --------------------------------------------------------------------------------


def claimable(
    queue_names: list[str] | None = None, *, include_delayed: bool = False, now: datetime | None = None
) -> Any:
    tasks = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    if not include_delayed:
        tasks = tasks.filter(Q(run_after=get_date_max()) | Q(run_after__lte=now or timezone.now()))
    if queue_names and "*" not in queue_names:
        tasks = tasks.filter(queue_name__in=queue_names)
    return tasks


def claim_next(
    worker_id: str, queue_names: list[str] | None = None, *, include_delayed: bool = False
) -> DBTaskResult | None:
    """Claim one ready task for ``worker_id``, or return None.

    django-tasks-db's own claim, as its ``db_worker`` does it: ``get_locked()`` (``SELECT … FOR
    UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers never wait on or share a row) and
    ``DBTaskResult.claim`` in one transaction, EXCLUSIVE on SQLite, which serialises claimers.
    """
    tasks = claimable(queue_names, include_delayed=include_delayed)
    try:
        with exclusive_transaction(tasks.db):
            result = tasks.get_locked()
            if result is not None:
                result.claim(worker_id)
            return result
    except OperationalError as error:
        if is_locked_database_exception(error):
            return None
        raise


# --- Running ---------------------------------------------------------------------------------


def execute(
    result: DBTaskResult,
    worker_id: str,
    *,
    savepoint: bool = False,
    rng: random.Random | None = None,
) -> bool:
    """Run a claimed task and settle it. Returns True on success.

    ``savepoint`` wraps the call in ``transaction.atomic`` (used when draining inside a test's
    transaction, so a failing task's partial writes roll back as they would in autocommit).
    """
    try:
        task = result.task
    except (ImportError, SuspiciousOperation) as error:
        # The code for this task is gone (renamed, removed): retrying cannot help.
        record_failure(
            result.pk,
            worker_id,
            error_class=f"{type(error).__module__}.{type(error).__qualname__}",
            message=f"The task {result.task_path} cannot be loaded: {error}",
            traceback="".join(traceback_module.format_exception(error)),
            permanent=True,
        )
        return False
    try:
        args = list(result.args_kwargs.get("args", []))
        kwargs = dict(result.args_kwargs.get("kwargs", {}))

        def call() -> Any:
            if task.takes_context:
                return task.call(TaskContext(task_result=result.task_result), *args, **kwargs)
            return task.call(*args, **kwargs)

        if savepoint:
            with transaction.atomic():
                value = call()
        else:
            value = call()
        return_value = normalize_json(value)
    except Exception as error:
        reset_connection_if_broken()
        record_failure(
            result.pk,
            worker_id,
            error_class=f"{type(error).__module__}.{type(error).__qualname__}",
            message=str(error),
            traceback="".join(traceback_module.format_exception(error)),
            permanent=isinstance(error, PermanentFailure),
            rng=rng,
        )
        return False
    claimed = list(result.worker_ids)
    with_db_retry(
        lambda: mark_successful(result.pk, worker_id, return_value, claimed_worker_ids=claimed),
        what="recording success",
    )
    return True


def mark_successful(
    task_id: uuid.UUID, worker_id: str, return_value: Any, *, claimed_worker_ids: list[str] | None = None
) -> None:
    """Mark the task SUCCESSFUL if ``worker_id`` still holds it; otherwise keep its new state.

    With ``claimed_worker_ids`` (the row's ``worker_ids`` as this worker's claim left them) it is
    one conditional UPDATE: the row is still RUNNING and nobody claimed it since, which is
    ``_held_by`` without the row lock and the round trips around it.
    """
    if claimed_worker_ids is not None and claimed_worker_ids and claimed_worker_ids[-1] == worker_id:
        updated = DBTaskResult.objects.filter(
            pk=task_id, status=TaskResultStatus.RUNNING, worker_ids=claimed_worker_ids
        ).update(
            status=TaskResultStatus.SUCCESSFUL,
            finished_at=timezone.now(),
            return_value=return_value,
            exception_class_path="",
            traceback="",
        )
        if not updated:
            logger.warning(
                "Task %s finished on %s after it was taken back; keeping its new state.", task_id, worker_id
            )
        return
    with transaction.atomic():
        row = DBTaskResult.objects.select_for_update().filter(pk=task_id).first()
        if row is None or not _held_by(row, worker_id):
            logger.warning(
                "Task %s finished on %s after it was taken back; keeping its new state.", task_id, worker_id
            )
            return
        DBTaskResult.objects.filter(pk=task_id).update(
            status=TaskResultStatus.SUCCESSFUL,
            finished_at=timezone.now(),
            return_value=return_value,
            exception_class_path="",
            traceback="",
        )


def _held_by(row: DBTaskResult, worker_id: str | None) -> bool:
    if row.status != TaskResultStatus.RUNNING:
        return False
    return worker_id is None or (bool(row.worker_ids) and row.worker_ids[-1] == worker_id)


def describe_job(policy: RetryPolicy, args_kwargs: dict[str, Any]) -> dict[str, Any]:
    """What a job was about, from its policy's ``describe`` (never lets a bad describe hide a failure)."""
    if policy.describe is None:
        return {}
    try:
        return dict(policy.describe(args_kwargs.get("args", []), args_kwargs.get("kwargs", {})) or {})
    except Exception:
        logger.exception("describe() failed for %s", policy.kind)
        return {}


def record_failure(
    task_id: uuid.UUID,
    worker_id: str | None,
    *,
    error_class: str,
    message: str,
    traceback: str = "",
    permanent: bool = False,
    rng: random.Random | None = None,
) -> str:
    """Settle a failed attempt: back to READY after a backoff, or FAILED with a FailedJob.

    ``worker_id`` must still hold the task (it is the last claimer and the row is RUNNING);
    otherwise someone else (the sweep) already settled it and nothing changes. Returns
    "retry", "failed" or "skipped".
    """

    def settle() -> str:
        with transaction.atomic():
            row = DBTaskResult.objects.select_for_update().filter(pk=task_id).first()
            if row is None or not _held_by(row, worker_id):
                return "skipped"
            now = timezone.now()
            attempt = max(1, len(row.worker_ids))
            TaskFailure.objects.create(
                task_id=row.pk,
                attempt=attempt,
                worker_id=(row.worker_ids[-1] if row.worker_ids else "")[:64],
                error_class=error_class[:255],
                error_message=message[:4000],
                failed_at=now,
            )
            policy = policy_for(row.task_path)
            if policy.retryable and not permanent and attempt < policy.max_attempts:
                delay = policy.delay_for(attempt, rng) * conf.backoff_scale()
                DBTaskResult.objects.filter(pk=row.pk).update(
                    status=TaskResultStatus.READY,
                    run_after=now + timedelta(seconds=delay),
                    exception_class_path=error_class,
                    traceback=traceback[-MAX_TRACEBACK_CHARS:],
                )
                logger.info(
                    "Task %s (%s) failed attempt %d/%d with %s; retrying in %.1fs.",
                    row.pk, policy.kind, attempt, policy.max_attempts, error_class, delay,
                )  # fmt: skip
                return "retry"
            DBTaskResult.objects.filter(pk=row.pk).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=error_class,
                traceback=traceback[-MAX_TRACEBACK_CHARS:],
                return_value=None,
            )
            first = TaskFailure.objects.filter(task_id=row.pk).order_by("failed_at").first()
            about = describe_job(policy, row.args_kwargs)
            FailedJob.objects.create(
                origin=FailedJobOrigin.TASK,
                kind=policy.kind,
                tenant_id=about.get("tenant_id"),
                label=str(about.get("label") or policy.kind)[:255],
                url=str(about.get("url") or "")[:500],
                task_path=row.task_path,
                args_kwargs=row.args_kwargs,
                queue_name=row.queue_name,
                task_id=row.pk,
                error_class=error_class[:255],
                error_message=message[:4000],
                traceback=traceback[-MAX_TRACEBACK_CHARS:],
                attempts=attempt,
                first_failed_at=first.failed_at if first else now,
                last_failed_at=now,
                created_at=now,
                replay_of=FailedJob.objects.filter(replay_task_id=row.pk).first(),
            )
            logger.warning(
                "Task %s (%s) failed for good after %d attempt(s): %s",
                row.pk,
                policy.kind,
                attempt,
                error_class,
            )
            return "failed"

    return with_db_retry(settle, what="recording a failure")


def hand_back(task_id: uuid.UUID, worker_id: str) -> bool:
    """Return a task this worker holds to READY without counting the attempt (graceful shutdown)."""

    def undo() -> bool:
        with transaction.atomic():
            row = DBTaskResult.objects.select_for_update().filter(pk=task_id).first()
            if row is None or not _held_by(row, worker_id):
                return False
            DBTaskResult.objects.filter(pk=task_id).update(
                status=TaskResultStatus.READY, started_at=None, worker_ids=row.worker_ids[:-1]
            )
            return True

    return with_db_retry(undo, what="handing a task back", give_up_after=10.0)


def task_for_path(task_path: str) -> Any:
    """The Task object at ``task_path`` (raises ImportError when it no longer exists)."""
    return import_string(task_path)
