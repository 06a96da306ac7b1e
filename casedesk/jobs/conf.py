"""Timing knobs for workers, read from the environment (with embedded defaults).

Kept here rather than in settings.py so the jobs app owns them; ``settings.JOBS_*`` wins when set.
"""

from __future__ import annotations

import os

from django.conf import settings


def _seconds(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    if value is not None:
        return float(value)
    raw = os.environ.get(f"CASEDESK_{name}")
    return float(raw) if raw else default


def heartbeat_seconds() -> float:
    """How often a worker records that it is alive."""
    return _seconds("JOBS_HEARTBEAT_SECONDS", 5.0)


def dead_after_seconds() -> float:
    """A worker silent for this long is dead; the sweep takes its running task back."""
    return _seconds("JOBS_DEAD_AFTER_SECONDS", 30.0)


def sweep_seconds() -> float:
    """How often each worker runs the dead-worker sweep."""
    return _seconds("JOBS_SWEEP_SECONDS", 10.0)


def reconcile_seconds() -> float:
    """How often each worker runs the reconciler's checks."""
    return _seconds("JOBS_RECONCILE_SECONDS", 60.0)


def shutdown_grace_seconds() -> float:
    """On SIGTERM, how long the current task may keep running before it is handed back."""
    return _seconds("JOBS_SHUTDOWN_GRACE_SECONDS", 25.0)


def poll_seconds() -> float:
    """How long an idle worker waits before looking for work again."""
    return _seconds("JOBS_POLL_SECONDS", 1.0)


def backoff_scale() -> float:
    """Multiplies every retry delay. 1 in production; the chaos harness uses a small value."""
    return _seconds("JOBS_BACKOFF_SCALE", 1.0)
