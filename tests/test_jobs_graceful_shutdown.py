"""SIGTERM: a worker finishes its current task within the grace period, or hands it back to READY."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from casedesk.chaos.scratchdb import REPO_ROOT, casedesk_command, scratch_database
from casedesk.jobs import durable_task

pytestmark = pytest.mark.slow


@durable_task(kind="test.takes_a_while", max_attempts=3)
def take_a_while(marker: str, seconds: float) -> str:
    Path(marker).write_text("started")
    time.sleep(seconds)
    return "finished"


SCRIPT = """
import django, json, sys; django.setup()
from django_tasks_db.models import DBTaskResult
from tests.test_jobs_graceful_shutdown import take_a_while
if sys.argv[1] == "enqueue":
    print(take_a_while.enqueue(sys.argv[2], float(sys.argv[3])).id)
else:
    row = DBTaskResult.objects.get(pk=sys.argv[2])
    print(json.dumps({"status": row.status, "claims": len(row.worker_ids)}))
"""


def django(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def run_and_terminate(env: dict[str, str], marker: Path, seconds: float) -> tuple[str, int]:
    task_id = django(env, "enqueue", str(marker), str(seconds))
    worker = subprocess.Popen(
        casedesk_command("worker", "--worker-id", f"graceful-{seconds}", "--no-sweeps", "--interval", "0.1"),
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the worker never started the task"
        time.sleep(0.05)
    worker.send_signal(signal.SIGTERM)
    return task_id, worker.wait(timeout=30)


def test_sigterm_lets_the_current_task_finish_or_hands_it_back(tmp_path: Path) -> None:
    with scratch_database() as env:
        env = {**env, "CASEDESK_JOBS_SHUTDOWN_GRACE_SECONDS": "1.5", "CASEDESK_JOBS_HEARTBEAT_SECONDS": "0.3"}
        quick, exit_code = run_and_terminate(env, tmp_path / "quick", 0.5)
        assert exit_code == 0
        assert json.loads(django(env, "state", quick)) == {"status": "SUCCESSFUL", "claims": 1}

        slow, exit_code = run_and_terminate(env, tmp_path / "slow", 30)
        assert exit_code != 0
        # Handed back without counting the attempt: the next worker starts it afresh.
        assert json.loads(django(env, "state", slow)) == {"status": "READY", "claims": 0}
    assert os.path.exists(tmp_path / "slow")
