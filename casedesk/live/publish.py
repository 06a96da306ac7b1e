"""The one helper that sends live events to browsers.

Callers publish *after commit* (``transaction.on_commit``; the ``do_*`` actions do this), so
a browser never hears about a row it cannot read yet. Events carry ids only; pages fetch
the content through the same access-checked views they render with.

Groups (see ``casedesk.live.consumers``):

- ``case.<id>.team``   team members of the case's agency: every event, internal or not;
- ``case.<id>.client`` clients on the case: never an internal event;
- ``user.<id>``        one person's own events (notification counts).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)

# The event loop that serves websockets in this process (set by the consumer). The in-memory
# layer's queues belong to it: events from other threads (the embedded task worker, the SMTP
# server) are handed to that loop thread-safely, so they are delivered at once.
_server_loop: asyncio.AbstractEventLoop | None = None


def remember_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    _server_loop = loop


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def case_team_group(case_id: int) -> str:
    return f"case.{int(case_id)}.team"


def case_client_group(case_id: int) -> str:
    return f"case.{int(case_id)}.client"


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def _send(groups: list[str], event: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "live.event", "event": event, "payload": payload}

    async def send_all() -> None:
        for group in groups:
            await layer.group_send(group, message)

    loop = _server_loop
    try:
        if (
            isinstance(layer, InMemoryChannelLayer)
            and loop is not None
            and loop.is_running()
            and _running_loop() is not loop
        ):
            asyncio.run_coroutine_threadsafe(send_all(), loop).result(timeout=5)
        else:
            async_to_sync(send_all)()
    except Exception:  # a live update is a courtesy; never fail the write that caused it
        log.exception("live event %s could not be published", event)


def publish_case_event(case_id: int, event: str, payload: dict[str, Any], *, internal_only: bool) -> None:
    """Send ``event`` to viewers of the case; internal events reach team viewers only."""
    groups = [case_team_group(case_id)]
    if not internal_only:
        groups.append(case_client_group(case_id))
    _send(groups, event, {**payload, "case": int(case_id)})


def publish_user_event(user_id: int, event: str, payload: dict[str, Any]) -> None:
    _send([user_group(user_id)], event, payload)
