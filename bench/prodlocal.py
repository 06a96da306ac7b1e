"""Start, find and stop the ``make prod-local`` topology the benchmark measures."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "prod-local.sh"
DEFAULT_DIR = ROOT / "var" / "prod-local"


def parse_env_file(text: str) -> dict[str, str]:
    """The ``export NAME=value`` lines of var/prod-local/env as a dict (comments ignored)."""
    env: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        name, sep, value = line.partition("=")
        if sep:
            env[name.strip()] = value.strip().strip("'\"")
    return env


def is_ready(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class ProdLocal:
    """The running topology: its environment, its pids, and whether this run started it."""

    def __init__(self, port: int, database: str, directory: Path = DEFAULT_DIR) -> None:
        self.port = port
        self.database = database
        self.directory = directory
        self.started_here = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script_env(self) -> dict[str, str]:
        env = dict(os.environ)
        offset = self.port - 8400
        env.update(
            PROD_LOCAL_PORT=str(self.port),
            PROD_LOCAL_DB=self.database,
            PROD_LOCAL_DIR=str(self.directory),
            # Its own ports and Redis database, so a `make prod-local` left running is untouched.
            PROD_LOCAL_SMTP_PORT=str(2625 + offset),
            PROD_LOCAL_SINK_PORT=str(2725 + offset),
            PROD_LOCAL_REDIS_DB=str(3 + (1 if offset else 0)),
        )
        return env

    def ensure_running(self, *, reset: bool) -> None:
        if is_ready(self.port):
            return
        env = self.script_env()
        if reset:
            env["PROD_LOCAL_RESET"] = "1"
        subprocess.run([str(SCRIPT), "start"], env=env, check=True, timeout=300)
        self.started_here = True
        deadline = time.monotonic() + 60
        while not is_ready(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"prod-local did not become ready; see {self.directory}/logs/web.log.")
            time.sleep(0.5)

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop"], env=self.script_env(), check=False, timeout=120)

    def environment(self) -> dict[str, str]:
        return parse_env_file((self.directory / "env").read_text())

    def pid(self, name: str) -> int | None:
        try:
            return int((self.directory / "pids" / f"{name}.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def mails_sent(self) -> int:
        try:
            return int((self.directory / "mailsink.count").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def has_process(self, name: str) -> bool:
        return (self.directory / "pids" / f"{name}.pid").exists()
