"""Admin → Failed Jobs: who sees what, replay (one and batch), discard, filters, sidebar count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casedesk.accounts.models import Agency
from casedesk.chaos.models import ChaosConversation
from casedesk.chaos.standin import escalate_chaos_conversation
from casedesk.jobs.actions import do_discard_failed_job, do_replay_failed_job
from casedesk.jobs.models import FailedJob, FailedJobStatus, JobAuditAction
from casedesk.lib.errors import ActionError
from tests.conftest import Cast


def make_failed_job(tenant: Agency | None, label: str, **extra: Any) -> FailedJob:
    defaults: dict[str, Any] = {
        "kind": "test.kind",
        "tenant": tenant,
        "label": label,
        "task_path": escalate_chaos_conversation.module_path,
        "args_kwargs": {"args": [0], "kwargs": {}},
        "error_class": "builtins.RuntimeError",
        "error_message": "it broke",
        "attempts": 3,
    }
    defaults.update(extra)
    return FailedJob.objects.create(**defaults)


@pytest.fixture
def jobs(cast: Cast) -> dict[str, FailedJob]:
    return {
        "a": make_failed_job(cast.agency_a, "Acme job"),
        "b": make_failed_job(cast.agency_b, "Bravo job"),
        "platform": make_failed_job(None, "Platform job"),
    }


def test_agency_admin_sees_only_their_own_tenants_jobs(cast: Cast, jobs: dict[str, FailedJob]) -> None:
    for user in (cast.alice, cast.adam):
        page = cast.login(user).get("/admin/jobs/failed/")
        assert page.status_code == 200
        assert b"Acme job" in page.content
        assert b"Bravo job" not in page.content
        assert b"Platform job" not in page.content


def test_agency_admin_gets_404_for_another_agencys_job(cast: Cast, jobs: dict[str, FailedJob]) -> None:
    http = cast.login(cast.adam)
    assert http.get(f"/admin/jobs/failed/{jobs['b'].pk}/").status_code == 404
    assert http.post(f"/admin/jobs/failed/{jobs['b'].pk}/replay/").status_code == 404
    assert http.post(f"/admin/jobs/failed/{jobs['b'].pk}/discard/", {"reason": "x"}).status_code == 404
    jobs["b"].refresh_from_db()
    assert jobs["b"].status == FailedJobStatus.OPEN


def test_member_sees_no_failed_jobs(cast: Cast, jobs: dict[str, FailedJob]) -> None:
    http = cast.login(cast.bob)
    assert http.get("/admin/jobs/failed/").status_code == 404
    assert http.get(f"/admin/jobs/failed/{jobs['a'].pk}/").status_code == 404


def test_platform_staff_see_every_tenant(cast: Cast, jobs: dict[str, FailedJob]) -> None:
    page = cast.login(cast.pat).get("/admin/jobs/failed/")
    assert page.status_code == 200
    for label in (b"Acme job", b"Bravo job", b"Platform job"):
        assert label in page.content


def test_list_shows_error_attempts_and_link(cast: Cast, jobs: dict[str, FailedJob]) -> None:
    make_failed_job(cast.agency_a, "Linked job", url="/cases/1/messages/", attempts=5)
    page = cast.login(cast.alice).get("/admin/jobs/failed/").content.decode()
    assert "RuntimeError: it broke" in page
    assert 'href="/cases/1/messages/"' in page
    detail = cast.login(cast.alice).get(f"/admin/jobs/failed/{jobs['a'].pk}/").content.decode()
    assert "First failure" in detail and "Last failure" in detail


def test_list_query_count_does_not_grow_with_rows(
    cast: Cast, jobs: dict[str, FailedJob], django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        make_failed_job(cast.agency_a if n % 2 else cast.agency_b, f"job {n}")
    http = cast.login(cast.pat)
    with django_assert_max_num_queries(15):
        assert http.get("/admin/jobs/failed/").status_code == 200


def test_filters_by_kind_tenant_and_age(cast: Cast, jobs: dict[str, FailedJob]) -> None:
    old = make_failed_job(cast.agency_a, "Old mail job", kind="mail.send")
    FailedJob.objects.filter(pk=old.pk).update(last_failed_at=timezone.now() - timedelta(days=9))
    http = cast.login(cast.pat)
    by_kind = http.get("/admin/jobs/failed/?kind=mail.send").content
    assert b"Old mail job" in by_kind and b"Acme job" not in by_kind
    by_tenant = http.get(f"/admin/jobs/failed/?tenant={cast.agency_b.pk}").content
    assert b"Bravo job" in by_tenant and b"Acme job" not in by_tenant
    recent = http.get("/admin/jobs/failed/?age=24h").content
    assert b"Acme job" in recent and b"Old mail job" not in recent
    older = http.get("/admin/jobs/failed/?age=older").content
    assert b"Old mail job" in older and b"Acme job" not in older


def test_sidebar_counts_open_jobs_of_the_current_agency_for_managers(
    cast: Cast, jobs: dict[str, FailedJob]
) -> None:
    make_failed_job(cast.agency_a, "Second Acme job")
    from django.test import RequestFactory

    from casedesk.jobs.context_processors import shell

    def count_for(user: Any) -> Any:
        request = RequestFactory().get("/")
        request.user = user
        request.session = {}  # type: ignore[assignment]
        return shell(request).get("failed_jobs_count")

    assert count_for(cast.alice) == 2
    assert count_for(cast.bob) is None
    assert count_for(cast.pat) == 4
    assert count_for(cast.dave) == 1


def conversation(cast: Cast, key: str) -> ChaosConversation:
    return ChaosConversation.objects.create(agency=cast.agency_a, key=key, state="escalating")


def test_replay_one_job_reenqueues_with_original_args_and_records_who(
    cast: Cast, run_tasks: Callable[..., int], mailoutbox: list[Any]
) -> None:
    conv = conversation(cast, "replay-one")
    job = make_failed_job(cast.agency_a, "Chat replay-one", args_kwargs={"args": [conv.pk], "kwargs": {}})
    response = cast.login(cast.alice).post(f"/admin/jobs/failed/{job.pk}/replay/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == FailedJobStatus.REPLAYED
    assert job.resolved_by == cast.alice and job.resolved_at is not None
    assert job.replay_task_id is not None
    new_task = DBTaskResult.objects.get(pk=job.replay_task_id)
    assert new_task.args_kwargs == {"args": [conv.pk], "kwargs": {}}
    entry = job.audit_entries.get()
    assert (entry.action, entry.actor, entry.new_task_id) == (
        JobAuditAction.REPLAY,
        cast.alice,
        job.replay_task_id,
    )
    run_tasks()
    conv.refresh_from_db()
    assert conv.case is not None
    assert len(mailoutbox) == 1


def test_replaying_never_duplicates_an_effect_that_already_happened(
    cast: Cast, run_tasks: Callable[..., int], mailoutbox: list[Any]
) -> None:
    conv = conversation(cast, "done-already")
    escalate_chaos_conversation.enqueue(conv.pk)
    run_tasks()
    conv.refresh_from_db()
    first_case = conv.case
    assert first_case is not None and len(mailoutbox) == 1
    # Pretend the job was reported failed after its effects happened (e.g. a crash while recording).
    job = make_failed_job(cast.agency_a, "Chat done-already", args_kwargs={"args": [conv.pk], "kwargs": {}})
    do_replay_failed_job(job, actor=cast.pat)
    run_tasks()
    conv.refresh_from_db()
    assert conv.case == first_case
    assert cast.agency_a.cases.filter(title="Support chat done-already").count() == 1
    assert len(mailoutbox) == 1


def test_replay_batch_replays_every_open_job_matching_the_filters(
    cast: Cast, jobs: dict[str, FailedJob], run_tasks: Callable[..., int]
) -> None:
    convs = [conversation(cast, f"batch-{n}") for n in range(3)]
    batch = [
        make_failed_job(
            cast.agency_a, f"Chat batch-{n}", kind="chat.batch", args_kwargs={"args": [c.pk], "kwargs": {}}
        )
        for n, c in enumerate(convs)
    ]
    response = cast.login(cast.adam).post("/admin/jobs/failed/replay/", {"kind": "chat.batch"})
    assert response.status_code == 302
    assert all(FailedJob.objects.get(pk=j.pk).status == FailedJobStatus.REPLAYED for j in batch)
    assert FailedJob.objects.get(pk=jobs["a"].pk).status == FailedJobStatus.OPEN  # other kind
    assert FailedJob.objects.get(pk=jobs["b"].pk).status == FailedJobStatus.OPEN  # other tenant
    run_tasks()
    assert all(ChaosConversation.objects.get(pk=c.pk).case_id for c in convs)


def test_batch_replay_by_an_agency_admin_never_touches_other_tenants(
    cast: Cast, jobs: dict[str, FailedJob]
) -> None:
    cast.login(cast.adam).post("/admin/jobs/failed/replay/", {})
    assert FailedJob.objects.get(pk=jobs["a"].pk).status == FailedJobStatus.REPLAYED
    assert FailedJob.objects.get(pk=jobs["b"].pk).status == FailedJobStatus.OPEN
    assert FailedJob.objects.get(pk=jobs["platform"].pk).status == FailedJobStatus.OPEN


def test_discard_needs_a_reason_and_records_who_and_when(cast: Cast, jobs: dict[str, FailedJob]) -> None:
    http = cast.login(cast.alice)
    refused = http.post(f"/admin/jobs/failed/{jobs['a'].pk}/discard/", {"reason": "  "}, follow=True)
    assert "Say why you are discarding this job" in refused.content.decode()
    assert FailedJob.objects.get(pk=jobs["a"].pk).status == FailedJobStatus.OPEN
    http.post(f"/admin/jobs/failed/{jobs['a'].pk}/discard/", {"reason": "Answered by phone."})
    job = FailedJob.objects.get(pk=jobs["a"].pk)
    assert job.status == FailedJobStatus.DISCARDED
    assert (job.resolved_by, job.resolution_reason) == (cast.alice, "Answered by phone.")
    entry = job.audit_entries.get()
    assert (entry.action, entry.actor, entry.reason) == (
        JobAuditAction.DISCARD,
        cast.alice,
        "Answered by phone.",
    )
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()


def test_a_job_cannot_be_replayed_after_it_was_discarded(cast: Cast, jobs: dict[str, FailedJob]) -> None:
    do_discard_failed_job(jobs["a"], actor=cast.alice, reason="Duplicate.")
    with pytest.raises(ActionError, match="already discarded"):
        do_replay_failed_job(jobs["a"], actor=cast.alice)


def test_replay_of_a_task_that_no_longer_exists_says_what_to_do(cast: Cast) -> None:
    job = make_failed_job(cast.agency_a, "Gone", task_path="casedesk.nowhere.task")
    with pytest.raises(ActionError, match="Discard it with a reason instead"):
        do_replay_failed_job(job, actor=cast.alice)
