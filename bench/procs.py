"""Run the benchmark's helper processes (load generator, viewers, ceiling) and read their answers."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_json(module: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run ``python -m <module>`` with ``spec`` on stdin; return the JSON it prints."""
    completed = subprocess.run(
        [sys.executable, "-m", module],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return dict(json.loads(completed.stdout))


class Viewers:
    """A ``bench.viewers`` process: many websocket connections, controlled through stdin."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.viewers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=_env(),
            cwd=ROOT,
        )
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(spec) + "\n")
        self.process.stdin.flush()

    def read_line(self, prefix: str, timeout: float) -> str | None:
        """The next stdout line starting with ``prefix`` (None on timeout or exit)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return None
            line = self.process.stdout.readline()
            if not line:
                return None
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        return None

    def send(self, line: str = "") -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def finish(self, timeout: float = 60) -> dict[str, Any]:
        self.send("STOP")
        result = self.read_line("RESULT ", timeout)
        self.close()
        return dict(json.loads(result)) if result else {}

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
