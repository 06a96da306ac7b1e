"""A worker killed with SIGKILL mid-task: the sweep puts its task back, or fails it when attempts are used up.

Real processes on a real database file (SQLite) or a scratch PostgreSQL database when
DATABASE_URL points at PostgreSQL.
"""

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


@durable_task(kind="test.sleepy", max_attempts=3, backoff_base_seconds=0.05, backoff_max_seconds=0.1)
def sleep_on_first_run(marker: str) -> str:
    """Sleeps for a minute the first time (so it can be killed mid-task), returns at once afterwards."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        time.sleep(60)
    return "finished"


@durable_task(kind="test.sleepy_once", max_attempts=1)
def sleep_with_one_attempt(marker: str) -> None:
    Path(marker).write_text(str(os.getpid()))
    time.sleep(60)


def django_script(env: dict[str, str], code: str) -> str:
    script = "import django; django.setup()\n" + code
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


ENQUEUE = """
from tests.test_jobs_dead_worker import sleep_on_first_run, sleep_with_one_attempt
print(sleep_on_first_run.enqueue({a!r}).id)
print(sleep_with_one_attempt.enqueue({b!r}).id)
"""

STATE = """
import json
from django_tasks_db.models import DBTaskResult
from casedesk.jobs.models import FailedJob
out = {{}}
for task_id in {ids!r}:
    row = DBTaskResult.objects.get(pk=task_id)
    job = FailedJob.objects.filter(task_id=task_id).first()
    out[task_id] = {{"status": row.status, "claims": len(row.worker_ids),
                    "failed_job_error": job.error_class if job else None}}
print(json.dumps(out))
"""


def wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_killed_worker_task_is_swept_back_then_finished_or_failed(tmp_path: Path) -> None:
    with scratch_database() as env:
        env = {**env, "CASEDESK_JOBS_HEARTBEAT_SECONDS": "0.3", "PYTHONUNBUFFERED": "1"}
        first, second = tmp_path / "first", tmp_path / "second"
        ids = django_script(env, ENQUEUE.format(a=str(first), b=str(second))).split()

        def start_worker(worker_id: str) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                casedesk_command("worker", "--worker-id", worker_id, "--no-sweeps", "--interval", "0.1"),
                env=env,
                cwd=REPO_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        for marker, worker_id in ((first, "doomed-1"), (second, "doomed-2")):
            worker = start_worker(worker_id)
            wait_for(marker)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            assert worker.returncode == -signal.SIGKILL

        # Still RUNNING under dead workers until the sweep notices the silence.
        before = json.loads(django_script(env, STATE.format(ids=ids)))
        assert {state["status"] for state in before.values()} == {"RUNNING"}

        time.sleep(1.2)
        swept = subprocess.run(
            casedesk_command("sweep", "--dead-after", "1"),
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        assert "Took back 2 task(s)" in swept.stdout, swept.stdout + swept.stderr

        after = json.loads(django_script(env, STATE.format(ids=ids)))
        assert after[ids[0]] == {"status": "READY", "claims": 1, "failed_job_error": None}
        assert after[ids[1]] == {
            "status": "FAILED",
            "claims": 1,
            "failed_job_error": "casedesk.jobs.WorkerLost",
        }

        time.sleep(0.2)  # the retry's backoff
        subprocess.run(
            casedesk_command("worker", "--batch", "--no-sweeps", "--worker-id", "survivor"),
            env=env,
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
        )
        final = json.loads(django_script(env, STATE.format(ids=ids)))
        assert final[ids[0]] == {"status": "SUCCESSFUL", "claims": 2, "failed_job_error": None}
