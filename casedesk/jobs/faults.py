"""Named fault points where ``casedesk chaos-escalations`` (``casedesk/chaos/``) may inject faults.

``fault_point(name, key)`` is a no-op unless ``CASEDESK_CHAOS_DIR`` is set (only the chaos
harness sets it, for the worker processes it starts). The folder holds ``plan.json``::

    {"faults": {"<key>": [{"point": "escalation.after_case_write", "action": "kill", "times": 1}]}}

and a ``fired/`` folder where each firing leaves a marker created with ``O_EXCL`` (so "fire once"
holds across processes and across the restarts that a ``kill`` causes). A file ``off`` turns
every fault off (the harness uses it before replaying failed jobs). Actions:

- ``kill``: ``SIGKILL`` to this very process, at that point (before/during/after the case write);
- ``raise``: an exception in the handler;
- ``db_down``: ``OperationalError`` as if the database refused connections, for ``seconds`` after
  the first firing.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from django.db import OperationalError

CHAOS_DIR_ENV = "CASEDESK_CHAOS_DIR"
_plan_cache: dict[str, Any] = {"mtime": None, "faults": {}}


class InjectedFault(RuntimeError):
    """An exception injected by the chaos harness."""


def chaos_dir() -> Path | None:
    value = os.environ.get(CHAOS_DIR_ENV)
    return Path(value) if value else None


def _faults_for(folder: Path, key: str) -> list[dict[str, Any]]:
    plan = folder / "plan.json"
    try:
        mtime = plan.stat().st_mtime
    except FileNotFoundError:
        return []
    if _plan_cache["mtime"] != mtime:
        _plan_cache["faults"] = json.loads(plan.read_text()).get("faults", {})
        _plan_cache["mtime"] = mtime
    return list(_plan_cache["faults"].get(key, []))


def _claim_marker(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{time.time():.6f}\n")
    return True


def _database_down_window(folder: Path, name: str) -> None:
    """While ``db_down_until`` is in the future, every fault point hits a refused connection."""
    try:
        until = float((folder / "db_down_until").read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return
    if time.time() < until:
        raise OperationalError(f"Injected fault at {name}: the database refused the connection.")


def fault_point(name: str, key: str | int | None = None) -> None:
    """A named point where the chaos harness may inject a fault for the work item ``key``."""
    folder = chaos_dir()
    if folder is None or (folder / "off").exists():
        return
    _database_down_window(folder, name)
    if key is None:
        return
    fired = folder / "fired"
    for index, fault in enumerate(_faults_for(folder, str(key))):
        if fault.get("point") != name:
            continue
        action = fault.get("action")
        marker_base = fired / f"{key}.{index}"
        if action == "db_down":
            start_file = Path(f"{marker_base}.0")
            _claim_marker(start_file)
            started = float(start_file.read_text().strip() or time.time())
            if time.time() < started + float(fault.get("seconds", 3)):
                raise OperationalError(f"Injected fault at {name}: the database refused the connection.")
            continue
        times = int(fault.get("times", 1))
        if not any(_claim_marker(Path(f"{marker_base}.{n}")) for n in range(times)):
            continue
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif action == "raise":
            raise InjectedFault(f"Injected fault at {name} for {key}.")
