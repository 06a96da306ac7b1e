"""The live websocket (/ws/live/): one connection per page, many subscriptions.

Authentication comes from the session cookie (team member, portal client, or the magic-link
grants kept in the session). The browser asks for cases with ``{"type": "subscribe", "case": id}``;
the consumer checks access with ``casedesk.cases.access`` and joins the *team* group (which
carries internal events) only for the case agency's team, else the *client* group, which
never does. Client subscriptions are re-checked before each event is forwarded, so removing a
contact from a case (or revoking their link) stops their events at once.

Fan-out cost: one event reaches every viewer of a case in the process, so the per-viewer work
is kept to forwarding the frame ``casedesk.live.publish`` encoded once. Every database access
here goes through ``database_sync_to_async`` (which closes stale connections itself), so
``dispatch`` skips channels' extra ``close_old_connections`` round trip to a worker thread per
message, which with hundreds of viewers queued hundreds of thread hops behind each event.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from casedesk.accounts.access import Viewer, viewer_from_request
from casedesk.cases.access import access_case, client_contact_for_case, is_team_for_case
from casedesk.cases.models import Case
from casedesk.cases.presence import (
    TYPING_INTERVAL_SECONDS,
    accept_typing,
    person_keys,
    team_only,
    typing_payload,
)
from casedesk.live.fanout import Outbox, local_fanout
from casedesk.live.publish import (
    case_client_group,
    case_team_group,
    publish_case_signal,
    remember_server_loop,
    user_group,
)

MAX_SUBSCRIPTIONS = 50


def viewer_from_scope(scope: dict[str, Any]) -> Viewer:
    """The same Viewer a page request with this session would get."""
    user = scope.get("user")
    fake_request = SimpleNamespace(user=user, session=scope.get("session") or {})
    if user is None:
        fake_request.user = SimpleNamespace(is_authenticated=False)
    return viewer_from_request(fake_request)  # type: ignore[arg-type]


def _subscription_for(scope: dict[str, Any], case_id: int) -> tuple[str, Viewer, Case] | None:
    """(group, viewer, case) when the session may see the case, as a page would decide; else None."""
    viewer = viewer_from_scope(scope)
    try:
        case = access_case(viewer, case_id)
    except Http404:
        return None
    group = case_team_group(case.pk) if is_team_for_case(viewer, case) else case_client_group(case.pk)
    return group, viewer, case


def _still_a_client_on(viewer: Viewer, case: Case) -> bool:
    """The re-check before an event goes to a client subscription.

    ``viewer`` and ``case`` are the ones the subscription was granted with (the socket's user
    and session do not change while it is open; a case's agency never does), so only what can
    change is read again, through ``casedesk.cases.access``: the person's contacts, the
    contact's place on the case and their magic links (2–3 queries instead of 4–5).
    """
    return client_contact_for_case(viewer, case) is not None


def _send_typing(scope: dict[str, Any], case_id: int, internal: bool) -> None:
    signal = accept_typing(viewer_from_scope(scope), case_id, internal=internal)
    if signal is not None:
        publish_case_signal(
            signal.case_id,
            "typing",
            typing_payload(signal),
            internal_only=team_only(signal),
            origin=signal.person,
        )


def _is_case_group(group: str) -> bool:
    return group.startswith("case.")


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Case groups are joined through the process's ``LocalFanout`` (one layer subscription per
    case per process); the user's own group, which carries little, through the layer directly."""

    groups_joined: set[str]
    client_cases: dict[str, tuple[Viewer, Case]]
    outbox: Outbox
    own_keys: set[str]  # this person's typing-signal keys: their own signals are not echoed
    typing_sent: dict[int, float]  # case id -> when this socket last passed a typing signal on

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the socket ended (closed, server shutdown, cancelled), the fan-out must
            # stop handing it events.
            if getattr(self, "channel_layer", None) is not None:
                local_fanout(self.channel_layer).forget(self)
            if hasattr(self, "outbox"):
                self.outbox.close()

    async def connect(self) -> None:
        remember_server_loop(asyncio.get_running_loop())
        self.groups_joined = set()
        self.client_cases = {}
        self.outbox = Outbox(self.live_event)
        self.typing_sent = {}
        viewer = await database_sync_to_async(viewer_from_scope)(self.scope)
        if not viewer.is_authenticated_user and not viewer.magic_grants:
            await self.close(code=4401)
            return
        self.own_keys = person_keys(viewer)
        await self.accept()
        if viewer.is_authenticated_user and viewer.user is not None:
            await self._join(user_group(viewer.user.pk))
        await self.send_json({"event": "hello", "payload": {}})

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def deliver(self, message: dict[str, Any]) -> None:
        """Called by the fan-out with an event for one of this socket's case groups."""
        self.outbox.put(message)

    async def _join(self, group: str) -> None:
        if group not in self.groups_joined:
            if _is_case_group(group):
                await local_fanout(self.channel_layer).join(group, self)
            else:
                await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)

    async def _leave(self, group: str) -> None:
        self.groups_joined.discard(group)
        self.client_cases.pop(group, None)
        if _is_case_group(group):
            await local_fanout(self.channel_layer).leave(group, self)
        else:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "outbox"):
            self.outbox.close()
        for group in list(getattr(self, "groups_joined", set())):
            await self._leave(group)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "typing":
            await self._typing(content)
            return
        if not isinstance(content, dict) or content.get("type") != "subscribe":
            await self.send_json({"event": "error", "payload": {"message": "Unknown request."}})
            return
        try:
            case_id = int(content.get("case"))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            await self.send_json({"event": "error", "payload": {"message": "No such case."}})
            return
        if len(self.groups_joined) >= MAX_SUBSCRIPTIONS:
            await self.send_json({"event": "error", "payload": {"message": "Too many subscriptions."}})
            return
        granted = await database_sync_to_async(_subscription_for)(self.scope, case_id)
        if granted is None:
            # Same answer for missing and forbidden, as pages give.
            await self.send_json({"event": "error", "payload": {"message": "No such case.", "case": case_id}})
            return
        group, viewer, case = granted
        await self._join(group)
        if group.endswith(".client"):
            self.client_cases[group] = (viewer, case)
        await self.send_json({"event": "subscribed", "payload": {"case": case_id}})

    async def _typing(self, content: dict[str, Any]) -> None:
        """A typing signal for a case this socket is subscribed to (``casedesk.cases.presence``
        re-checks access and decides the audience). Silently dropped when refused or too soon."""
        try:
            case_id = int(content.get("case"))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return
        if (
            case_team_group(case_id) not in self.groups_joined
            and case_client_group(case_id) not in self.groups_joined
        ):
            return
        now = asyncio.get_running_loop().time()
        if now - self.typing_sent.get(case_id, -1e9) < TYPING_INTERVAL_SECONDS / 2:
            return  # a cheap per-socket guard before the database; the real throttle is shared
        self.typing_sent[case_id] = now
        # Internal unless the page says plainly it is a reply (see casedesk.cases.presence).
        internal = content.get("internal") is not False
        await database_sync_to_async(_send_typing)(self.scope, case_id, internal)

    async def live_event(self, message: dict[str, Any]) -> None:
        group = message.get("group")
        if group not in self.groups_joined:
            return  # left since (e.g. a failed re-check just before), or no group: drop it
        if message.get("origin") in self.own_keys:
            return  # the person's own typing signal
        client = self.client_cases.get(group)
        # Re-check a client's access before forwarding: links get revoked, contacts removed.
        if client is not None and not await database_sync_to_async(_still_a_client_on)(*client):
            await self._leave(group)
            return
        text = message.get("text")
        if isinstance(text, str):
            await self.send(text_data=text)
        else:
            await self.send_json({"event": message.get("event"), "payload": message.get("payload") or {}})
