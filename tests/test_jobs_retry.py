"""Retries, backoff and failed jobs, through the same path workers use (casedesk.jobs.runner)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casedesk.jobs import durable_task, policy_for
from casedesk.jobs.models import FailedJob, FailedJobStatus, TaskFailure
from casedesk.jobs.policy import PermanentFailure, RetryPolicy
from casedesk.jobs.runner import claim_next, execute

CALLS: list[str] = []


def describe_flaky(args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        "tenant_id": kwargs.get("tenant_id"),
        "label": f"Flaky thing {args[0]}",
        "url": f"/things/{args[0]}/",
    }


@durable_task(kind="test.flaky", max_attempts=3, backoff_base_seconds=10, describe=describe_flaky)
def flaky(name: str, fail_times: int = 99, tenant_id: int | None = None) -> str:
    CALLS.append(name)
    if CALLS.count(name) <= fail_times:
        raise ConnectionError(f"{name} could not reach the server")
    return f"done {name}"


@durable_task(kind="test.not_retryable", retryable=False, max_attempts=5)
def not_retryable(name: str) -> None:
    CALLS.append(name)
    raise ValueError("bad input")


@durable_task(kind="test.permanent", max_attempts=5)
def gives_up(name: str) -> None:
    CALLS.append(name)
    raise PermanentFailure("the subject was deleted")


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


def result_of(task_id: Any) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=task_id)


def test_failed_attempt_goes_back_to_ready_with_backoff(db: None, run_tasks: Callable[..., int]) -> None:
    enqueued = flaky.enqueue("a", fail_times=1)
    before = timezone.now()
    run_tasks()
    row = result_of(enqueued.id)
    assert row.status == TaskResultStatus.READY
    # Attempt 1 with base 10 s waits between 5 and 10 s.
    assert before + timedelta(seconds=5) <= row.run_after <= timezone.now() + timedelta(seconds=10)
    assert TaskFailure.objects.filter(
        task_id=row.pk, attempt=1, error_class="builtins.ConnectionError"
    ).exists()
    assert not FailedJob.objects.exists()


def test_retry_after_backoff_succeeds_on_the_same_row(db: None, run_tasks: Callable[..., int]) -> None:
    enqueued = flaky.enqueue("b", fail_times=1)
    run_tasks(include_delayed=True)
    row = result_of(enqueued.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == "done b"
    assert len(row.worker_ids) == 2
    assert CALLS == ["b", "b"]
    assert not FailedJob.objects.exists()


def test_task_that_keeps_failing_becomes_a_failed_job_after_its_attempts(
    cast: Any, run_tasks: Callable[..., int]
) -> None:
    enqueued = flaky.enqueue("c", tenant_id=cast.agency_a.pk)
    run_tasks(include_delayed=True)
    row = result_of(enqueued.id)
    assert row.status == TaskResultStatus.FAILED
    assert CALLS == ["c", "c", "c"]
    job = FailedJob.objects.get(task_id=row.pk)
    assert job.status == FailedJobStatus.OPEN
    assert job.kind == "test.flaky"
    assert job.tenant_id == cast.agency_a.pk
    assert (job.label, job.url) == ("Flaky thing c", "/things/c/")
    assert job.attempts == 3
    assert job.error_class == "builtins.ConnectionError"
    assert "could not reach the server" in job.error_message
    assert "Traceback" in job.traceback
    assert job.args_kwargs == {"args": ["c"], "kwargs": {"tenant_id": cast.agency_a.pk}}
    assert job.first_failed_at <= job.last_failed_at


def test_drain_without_include_delayed_leaves_retries_waiting(
    db: None, run_tasks: Callable[..., int]
) -> None:
    flaky.enqueue("d", fail_times=5)
    assert run_tasks() == 1
    assert run_tasks() == 0
    assert CALLS == ["d"]


def test_non_retryable_task_fails_at_once(db: None, run_tasks: Callable[..., int]) -> None:
    enqueued = not_retryable.enqueue("e")
    run_tasks(include_delayed=True)
    assert CALLS == ["e"]
    assert result_of(enqueued.id).status == TaskResultStatus.FAILED
    assert FailedJob.objects.get(task_id=enqueued.id).attempts == 1


def test_permanent_failure_skips_the_remaining_attempts(db: None, run_tasks: Callable[..., int]) -> None:
    enqueued = gives_up.enqueue("f")
    run_tasks(include_delayed=True)
    assert CALLS == ["f"]
    assert FailedJob.objects.get(task_id=enqueued.id).error_class == "casedesk.jobs.policy.PermanentFailure"


def test_backoff_is_exponential_with_jitter_and_deterministic_with_a_seed() -> None:
    policy = RetryPolicy(kind="x", backoff_base_seconds=2, backoff_max_seconds=60)
    delays = [policy.delay_for(attempt, random.Random(7)) for attempt in range(1, 8)]
    assert delays == [policy.delay_for(attempt, random.Random(7)) for attempt in range(1, 8)]
    ceilings = [2, 4, 8, 16, 32, 60, 60]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    spread = {round(policy.delay_for(3, random.Random(seed)), 3) for seed in range(20)}
    assert len(spread) > 10, "jitter spreads retries out"


def test_seeded_rng_decides_the_run_after_of_a_retry(db: None) -> None:
    enqueued = flaky.enqueue("g", fail_times=1)
    claimed = claim_next("w-test")
    assert claimed is not None and str(claimed.pk) == enqueued.id
    execute(claimed, "w-test", rng=random.Random(3))
    row = result_of(enqueued.id)
    expected = policy_for(row.task_path).delay_for(1, random.Random(3))
    failed_at = TaskFailure.objects.get(task_id=row.pk).failed_at
    assert abs((row.run_after - failed_at).total_seconds() - expected) < 0.01


def test_policy_is_registered_by_durable_task() -> None:
    policy = policy_for(flaky.module_path)
    assert (policy.kind, policy.max_attempts, policy.backoff_base_seconds) == ("test.flaky", 3, 10)
    assert policy_for(not_retryable.module_path).max_attempts == 1


def test_a_worker_finishing_after_its_task_was_taken_back_changes_nothing(db: None) -> None:
    """The success UPDATE is conditional on the claim being the latest: a late finisher loses."""
    from casedesk.jobs.runner import mark_successful, record_failure

    task_id = flaky.enqueue("late", fail_times=0).id
    first = claim_next("worker-a")
    assert first is not None
    # The sweep decided worker-a was dead and settled the attempt; then worker-a itself claims it again.
    assert (
        record_failure(first.pk, "worker-a", error_class="casedesk.jobs.WorkerLost", message="lost")
        == "retry"
    )
    DBTaskResult.objects.filter(pk=task_id).update(run_after=timezone.now())
    second = claim_next("worker-a")
    assert second is not None and second.worker_ids == ["worker-a", "worker-a"]
    mark_successful(first.pk, "worker-a", "stale", claimed_worker_ids=list(first.worker_ids))
    assert result_of(task_id).status == TaskResultStatus.RUNNING
    assert execute(second, "worker-a")
    row = result_of(task_id)
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == "done late"
