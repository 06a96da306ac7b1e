"""The one helper that sends live events to browsers, after commit. Filled in by Case Messages."""

from __future__ import annotations

from typing import Any


def publish_case_event(case_id: int, event: str, payload: dict[str, Any], *, internal_only: bool) -> None:
    """Send ``event`` to viewers of the case; internal events reach team viewers only."""
    return None


def publish_user_event(user_id: int, event: str, payload: dict[str, Any]) -> None:
    return None
