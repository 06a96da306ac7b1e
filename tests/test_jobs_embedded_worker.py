"""The embedded worker (threads inside the web process, as `casedesk run` starts it)."""

from __future__ import annotations

import threading
import time

import pytest
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casedesk.jobs import durable_task
from casedesk.jobs.models import WorkerHeartbeat
from casedesk.jobs.worker import start_embedded_worker

RAN_IN: list[str] = []


@durable_task(kind="test.embedded")
def note_thread(label: str) -> str:
    RAN_IN.append(threading.current_thread().name)
    return label


@pytest.mark.django_db(transaction=True)
def test_embedded_worker_runs_tasks_in_a_thread_and_stops_cleanly() -> None:
    RAN_IN.clear()
    result = note_thread.enqueue("hello")
    stop = start_embedded_worker(threads=1)
    try:
        deadline = time.monotonic() + 20
        while DBTaskResult.objects.get(pk=result.id).status != TaskResultStatus.SUCCESSFUL:
            assert time.monotonic() < deadline, "the embedded worker never ran the task"
            time.sleep(0.05)
    finally:
        stop()
    assert RAN_IN and RAN_IN[0].startswith("worker-")
    beat = WorkerHeartbeat.objects.get()
    assert beat.stopped_at is not None, "a stopped worker says so, so the sweep need not wait for silence"
