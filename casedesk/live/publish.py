"""The one helper that sends live events to browsers.

Callers publish *after commit* (``casedesk/live/subscribers.py``, subscribed to the domain's events), so
a browser never hears about a row it cannot read yet. Events carry ids only; pages fetch
the content through the same access-checked views they render with.

The websocket frame is encoded here, once per event, and carried in the layer message as
``text``; consumers forward it as it is instead of encoding it again for every viewer.

Groups (see ``casedesk.live.consumers``):

- ``case.<id>.team``   team members of the case's agency: every event, internal or not;
- ``case.<id>.client`` clients on the case: never an internal event;
- ``user.<id>``        one person's own events (notification counts).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Coroutine
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


def live_message(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message for an event, with its websocket frame already encoded."""
    return {
        "type": "live.event",
        "event": event,
        "payload": payload,
        "text": json.dumps({"event": event, "payload": payload}),
    }


class _PublisherLoop:
    """One long-lived event loop thread per process for publishing from plain threads.

    ``async_to_sync`` from a thread with no event loop (a task worker, the SMTP server) starts a
    new loop per call, and channels_redis keeps one connection per loop: every event paid for a
    new Redis connection. Publishing on this loop reuses one.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, None], timeout: float = 5) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._get()).result(timeout=timeout)

    def _get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or not self._loop.is_running():
                loop = asyncio.new_event_loop()
                started = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(started.set)
                    loop.run_forever()

                threading.Thread(target=serve, name="live-publisher", daemon=True).start()
                started.wait(5)
                self._loop, self._pid = loop, os.getpid()
            return self._loop


_publisher = _PublisherLoop()


def _send(groups: list[str], event: str, payload: dict[str, Any], origin: str | None = None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = live_message(event, payload)
    if origin is not None:
        message["origin"] = origin  # for the consumer only; not in the frame

    async def send_all() -> None:
        for group in groups:
            # The group travels with the event: each process's LocalFanout receives every
            # case group it serves on one channel and hands the event to that group's sockets.
            await layer.group_send(group, {**message, "group": group})

    loop = _server_loop
    try:
        if isinstance(layer, InMemoryChannelLayer):
            if loop is not None and loop.is_running() and _running_loop() is not loop:
                asyncio.run_coroutine_threadsafe(send_all(), loop).result(timeout=5)
            else:
                async_to_sync(send_all)()
        elif _in_async_to_sync_thread():
            # A sync view under the ASGI server: publish on the server's own loop and connection.
            async_to_sync(send_all)()
        else:
            _publisher.run(send_all())
    except Exception:  # a live update is a courtesy; never fail the write that caused it
        log.exception("live event %s could not be published", event)


def _in_async_to_sync_thread() -> bool:
    """True in a thread that an event loop called into (sync_to_async): that loop is reusable."""
    from asgiref.sync import SyncToAsync

    return (
        getattr(SyncToAsync.threadlocal, "main_event_loop", None) is not None
        and getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid()
    )


def publish_case_event(case_id: int, event: str, payload: dict[str, Any], *, internal_only: bool) -> None:
    """Send ``event`` to viewers of the case; internal events reach team viewers only."""
    groups = [case_team_group(case_id)]
    if not internal_only:
        groups.append(case_client_group(case_id))
    _send(groups, event, {**payload, "case": int(case_id)})


def publish_case_signal(
    case_id: int, event: str, payload: dict[str, Any], *, internal_only: bool, origin: str
) -> None:
    """A transient signal (typing), with no row behind it, so not tied to a commit.

    Same groups as ``publish_case_event``; ``origin`` names the sender ("user:<id>",
    "contact:<id>") so that the sender's own sockets skip it.
    """
    groups = [case_team_group(case_id)]
    if not internal_only:
        groups.append(case_client_group(case_id))
    publish_signal(groups, event, {**payload, "case": int(case_id)}, origin=origin)


def publish_signal(
    groups: list[str], event: str, payload: dict[str, Any], *, origin: str | None = None
) -> None:
    """A transient event to the given live groups (``case.*``, or a support conversation's
    team group), for pages' ``/ws/live/`` sockets."""
    _send(groups, event, payload, origin=origin)


def publish_user_event(user_id: int, event: str, payload: dict[str, Any]) -> None:
    _send([user_group(user_id)], event, payload)
