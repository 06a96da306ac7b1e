"""Claiming: a delayed task is claimed only once it is due; "now" is the time of each claim."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from casedesk.jobs.runner import claim_next
from tests.test_jobs_retry import flaky


def test_delayed_task_is_claimed_only_once_its_time_has_come(db: None) -> None:
    task_id = flaky.enqueue("later", fail_times=0).id
    DBTaskResult.objects.filter(pk=task_id).update(run_after=timezone.now() + timedelta(minutes=5))
    assert claim_next("w-delay") is None
    assert claim_next("w-delay", ["*"]) is None
    # The same claim, run later: the task is due now.
    DBTaskResult.objects.filter(pk=task_id).update(run_after=timezone.now() - timedelta(seconds=1))
    claimed = claim_next("w-delay")
    assert claimed is not None and str(claimed.pk) == str(task_id)


def test_include_delayed_claims_a_task_not_yet_due(db: None) -> None:
    task_id = flaky.enqueue("early", fail_times=0).id
    DBTaskResult.objects.filter(pk=task_id).update(run_after=timezone.now() + timedelta(hours=1))
    claimed = claim_next("w-delay", include_delayed=True)
    assert claimed is not None and str(claimed.pk) == str(task_id)
