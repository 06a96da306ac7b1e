"""A small fault-injection run: real worker processes, kill -9, exceptions, DB and SMTP outages.

Uses a scratch database: a temporary SQLite file, or a temporary PostgreSQL database on the
server DATABASE_URL points at (when the suite runs on PostgreSQL, with 3 workers).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from django.conf import settings

from casedesk.chaos.scratchdb import REPO_ROOT, casedesk_command

pytestmark = pytest.mark.slow


def test_chaos_run_loses_nothing_and_opens_no_duplicate_cases() -> None:
    env = dict(os.environ)
    env.pop("CASEDESK_TEST_DB_NAME", None)
    workers = "3" if settings.IS_POSTGRES else "2"
    done = subprocess.run(
        casedesk_command("chaos-escalations", "--count", "20", "--seed", "7", "--json", "--workers", workers),
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    first, final = (json.loads(line) for line in done.stdout.strip().splitlines())
    assert first["requested"] == 20
    assert first["lost"] == 0
    assert first["duplicate_cases"] == 0
    assert first["cases"] + first["failed_jobs"] >= 20
    assert final["cases"] == 20
    assert final["lost"] == 0 and final["duplicate_cases"] == 0 and final["failed_jobs"] == 0
