"""Task workers. Filled in by the reliable-jobs work (issue 4)."""

from __future__ import annotations

from collections.abc import Callable


def start_embedded_worker(threads: int = 1) -> Callable[[], None]:
    """Start worker thread(s) inside this process (embedded mode); returns a stop function."""
    return lambda: None
