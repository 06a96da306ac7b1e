"""Run queued tasks synchronously, for tests and management commands."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def drain_tasks(max_rounds: int = 50) -> int:
    """Run ready tasks (including ones they enqueue) until none are left. Returns how many ran."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-drain",
        excluded_queue_names=[],
    )
    ran = 0
    for _ in range(max_rounds):
        ready = list(DBTaskResult.objects.ready())
        if not ready:
            break
        for result in ready:
            result.claim(worker.worker_id)
            worker.run_task(result)
            ran += 1
    return ran
