"""Process-local fan-out of case events: one channel-layer subscription per case per process.

Without it every websocket joined ``case.<id>.team`` through the channel layer itself, so one
event was received, deserialised and dispatched once per open socket (and with channels_redis
each socket also held its own Redis subscription to the group). Here each event loop has one
``LocalFanout``: it joins a group once, for all its sockets, reads each event once and hands
it to the sockets of that group, which forward the frame ``casedesk.live.publish`` encoded.

Per socket, events are delivered in order through a small outbox drained by one task at a
time, so a slow reader (its transport paused) delays only itself, and a client's access
re-check (``LiveConsumer.live_event``) keeps running before each event it forwards.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Receiver(Protocol):
    def deliver(self, message: dict[str, Any]) -> None: ...


class LocalFanout:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.members: dict[str, dict[Receiver, None]] = {}
        self.channel: str | None = None
        self.reader: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        self.cleanups: set[asyncio.Future[None]] = set()

    async def join(self, group: str, receiver: Receiver) -> None:
        async with self.lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel()
                self.reader = asyncio.ensure_future(self._read(self.channel))
            members = self.members.setdefault(group, {})
            if not members:
                await self.layer.group_add(group, self.channel)
            members[receiver] = None

    async def leave(self, group: str, receiver: Receiver) -> None:
        members = self.members.get(group)
        if members is not None:
            members.pop(receiver, None)  # at once: nothing more is handed to it
        await self._discard_if_empty(group)

    def forget(self, receiver: Receiver) -> None:
        """Drop a receiver from every group now (its socket is gone, however it ended)."""
        for group, members in list(self.members.items()):
            if receiver in members:
                del members[receiver]
                if not members:
                    task = asyncio.ensure_future(self._discard_if_empty(group))
                    self.cleanups.add(task)
                    task.add_done_callback(self.cleanups.discard)

    async def _discard_if_empty(self, group: str) -> None:
        async with self.lock:
            members = self.members.get(group)
            if members is None or members:
                return
            del self.members[group]
            if self.channel is not None:
                await self.layer.group_discard(group, self.channel)
            if not self.members and self.reader is not None:
                # Nobody left in this process: stop reading (the layer drops the channel).
                self.reader.cancel()
                self.reader, self.channel = None, None

    async def _read(self, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live fan-out could not read from the channel layer")
                await asyncio.sleep(1)
                continue
            self.dispatch(message)

    def dispatch(self, message: dict[str, Any]) -> None:
        for receiver in list(self.members.get(message.get("group") or "", ())):
            try:
                receiver.deliver(message)
            except Exception:
                log.exception("live event could not be handed to a socket")


_fanouts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LocalFanout] = weakref.WeakKeyDictionary()


def local_fanout(layer: Any) -> LocalFanout:
    """The fan-out of the running event loop (the channel layer's connections are per loop too)."""
    loop = asyncio.get_running_loop()
    fanout = _fanouts.get(loop)
    if fanout is None or fanout.layer is not layer:
        fanout = _fanouts[loop] = LocalFanout(layer)
    return fanout


class Outbox:
    """In-order delivery to one socket: one drain task at a time, only while there is work."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.pending: deque[dict[str, Any]] = deque()
        self.task: asyncio.Task[None] | None = None
        self.closed = False

    def put(self, message: dict[str, Any]) -> None:
        if self.closed:
            return  # the socket is going away; it may still be in a group for a moment
        self.pending.append(message)
        if self.task is None:
            self.task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        try:
            while self.pending:
                try:
                    await self.handle(self.pending.popleft())
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("live event could not be sent to a socket")
        finally:
            self.task = None

    def close(self) -> None:
        self.closed = True
        self.pending.clear()
        if self.task is not None:
            self.task.cancel()
            self.task = None
