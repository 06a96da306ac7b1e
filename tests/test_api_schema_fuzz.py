"""The OpenAPI schema tells the truth: a short, seeded schemathesis run (every check) finds nothing.

Runs in the normal suite against the real ASGI app on a live server (the browser tests' fixture),
authenticated with Bob's API token from the cast. ``make fuzz`` runs the same with many more
examples. Both fail on any server error, any response the schema does not describe, and any
schema-valid request the server refuses (or schema-invalid one it accepts).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from casedesk.api.models import ApiToken
from tests.browser import conftest as browser_fixtures
from tests.conftest import Cast

live_url = browser_fixtures.live_url  # the live-server fixture, shared with the browser tests

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = int(os.environ.get("CASEDESK_FUZZ_EXAMPLES", 8))
SEED = int(os.environ.get("CASEDESK_FUZZ_SEED", 20261202))


def run_schemathesis(
    base_url: str, token: str, examples: int, seed: int, timeout: float, workdir: Path
) -> str:
    """Run ``schemathesis run --checks all`` against ``base_url``; fails the test with its report."""
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{base_url}/api/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--no-shrink",
        "--header",
        f"Authorization: Bearer {token}",
        "--request-timeout",
        "20",
        # /api/search takes a query language (words, "phrases", -word, or) whose rules a JSON
        # schema cannot state, so schema-valid strings such as "or" are refused with a 422 there.
        "--exclude-path",
        "/api/search",
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=workdir,  # schemathesis keeps a crash cache in its working folder; not in the repository
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
        check=False,
    )
    output = result.stdout + result.stderr
    if os.environ.get("CASEDESK_FUZZ_REPORT"):
        (ROOT / os.environ["CASEDESK_FUZZ_REPORT"]).write_text(output)
    assert result.returncode == 0, output[-12_000:]
    return output


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    cast: Cast, live_url: str, tmp_path: Path
) -> None:
    _, token = ApiToken.issue(cast.bob, "schemathesis")
    output = run_schemathesis(
        live_url, token, EXAMPLES, SEED, timeout=max(240, EXAMPLES * 20), workdir=tmp_path
    )
    summary = output[output.rfind("Test cases:") :]
    assert " passed" in summary and "failed" not in summary and "error" not in summary.lower(), summary
