"""The reconciler surfaces stuck work as failed jobs, once per stuck object, and replay fixes it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from casedesk.chaos.models import ChaosConversation
from casedesk.chaos.standin import escalate_chaos_conversation
from casedesk.jobs.actions import do_replay_failed_job
from casedesk.jobs.models import FailedJob, FailedJobOrigin, FailedJobStatus
from casedesk.jobs.reconciler import StuckItem, register_check, run_reconciler, unregister_check
from tests.conftest import Cast


@pytest.fixture
def fake_check(cast: Cast) -> Iterator[list[StuckItem]]:
    """A check that reports whatever the test puts in the list."""
    items: list[StuckItem] = []
    register_check("test.fake", lambda: iter(list(items)))
    yield items
    unregister_check("test.fake")


def stuck(cast: Cast, key: str) -> StuckItem:
    return StuckItem(
        kind="test.stuck_thing",
        key=key,
        task=escalate_chaos_conversation,
        args=[0],
        tenant_id=cast.agency_a.pk,
        label=f"Stuck thing {key}",
        url=f"/things/{key}/",
        reason="It has been half-done for ages.",
    )


def test_stuck_item_becomes_one_open_failed_job_however_often_the_reconciler_runs(
    cast: Cast, fake_check: list[StuckItem]
) -> None:
    fake_check.append(stuck(cast, "1"))
    assert run_reconciler() == 1
    assert run_reconciler() == 0
    job = FailedJob.objects.get(dedupe_key="test.fake:1")
    assert job.origin == FailedJobOrigin.RECONCILER
    assert (job.kind, job.tenant_id, job.label, job.url) == (
        "test.stuck_thing", cast.agency_a.pk, "Stuck thing 1", "/things/1/"
    )  # fmt: skip
    assert job.error_message == "It has been half-done for ages."
    assert job.task_path == escalate_chaos_conversation.module_path


def test_after_replay_a_still_stuck_item_surfaces_again(cast: Cast, fake_check: list[StuckItem]) -> None:
    fake_check.append(stuck(cast, "2"))
    run_reconciler()
    do_replay_failed_job(FailedJob.objects.get(dedupe_key="test.fake:2"), actor=cast.pat)
    assert run_reconciler() == 1
    assert FailedJob.objects.filter(dedupe_key="test.fake:2", status=FailedJobStatus.OPEN).count() == 1


def test_a_failing_check_does_not_stop_the_others(cast: Cast, fake_check: list[StuckItem]) -> None:
    def broken() -> Iterator[StuckItem]:
        raise RuntimeError("bug in a check")
        yield  # pragma: no cover

    register_check("test.broken", broken)
    try:
        fake_check.append(stuck(cast, "3"))
        assert run_reconciler() == 1
    finally:
        unregister_check("test.broken")


def test_conversation_stuck_escalating_without_a_task_is_surfaced_and_replay_opens_its_case(
    cast: Cast, run_tasks: Callable[..., int]
) -> None:
    conversation = ChaosConversation.objects.create(agency=cast.agency_a, key="lost-task", state="escalating")
    other = ChaosConversation.objects.create(agency=cast.agency_a, key="has-task", state="escalating")
    escalate_chaos_conversation.enqueue(other.pk)  # a live task: not stuck
    run_reconciler()
    job = FailedJob.objects.get(origin=FailedJobOrigin.RECONCILER, kind="chaos.escalate_conversation")
    assert job.args == [conversation.pk]
    do_replay_failed_job(job, actor=cast.pat)
    run_tasks()
    conversation.refresh_from_db()
    assert conversation.case is not None
    assert run_reconciler() == 0
