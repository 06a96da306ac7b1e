"""The widget's websocket: tells a visitor's open widgets that one of their conversations changed.

The socket carries only "conversation X changed" nudges; the widget then fetches new lines over
the same access-checked HTTP API, so the socket can never show more than the API would.
Authentication is the visitor token (query string), checked like the API does; signed-in
visitors' tokens also need the matching session (same origin only). The Origin must be the site
itself or one of the agency's allowed origins, as for the widget's HTTP API.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.http import is_same_domain

from casedesk.accounts.access import team_agencies
from casedesk.accounts.models import Agency
from casedesk.cases.presence import TYPING_INTERVAL_SECONDS
from casedesk.lib.ids import parse_id
from casedesk.live.consumers import viewer_from_scope
from casedesk.live.origin import origin_of_scope
from casedesk.support import identity
from casedesk.support.live import agency_group, visitor_group
from casedesk.support.models import WAITING_STATES, Conversation, Visitor
from casedesk.support.presence import send_agent_typing, send_visitor_typing, team_conversation_group


def _origin_allowed(agency: Agency, origin: str) -> bool:
    """The site itself, or (for a customer widget) one of the agency's allowed origins."""
    if not origin:
        return True  # not a browser on another site (browsers always send Origin on websockets)
    host = origin.split("://", 1)[-1].split(":", 1)[0]
    if is_same_domain_any(host, settings.ALLOWED_HOSTS):
        return True
    return not agency.is_platform and origin in identity.widget_settings_for(agency).allowed_origin_list


def is_same_domain_any(host: str, patterns: list[str]) -> bool:
    return any(pattern == "*" or is_same_domain(host, pattern) for pattern in patterns)


@database_sync_to_async
def _visitor_for(agency_slug: str, token: str, user_id: int | None, origin: str) -> int | None:
    agency = Agency.objects.filter(slug=agency_slug).first()
    if agency is None or not _origin_allowed(agency, origin):
        return None
    public_id = identity.read_visitor_token(token, agency.pk)
    if public_id is None:
        return None
    visitor = Visitor.objects.filter(public_id=public_id, agency=agency).first()
    if visitor is None:
        return None
    if visitor.user_id is not None and visitor.user_id != user_id:
        return None
    return visitor.pk


class WidgetConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    visitor_id: int | None = None
    last_typing: float = -1e9

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        agency_slug = (query.get("agency") or [""])[0]
        user = self.scope.get("user")
        user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
        visitor_id = await _visitor_for(agency_slug, token, user_id, origin_of_scope(self.scope))
        if visitor_id is None:
            await self.close(code=4403)
            return
        self.visitor_id = visitor_id
        self.group = visitor_group(visitor_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Writes go through the HTTP API; the socket carries only "I am typing" (checked and
        # throttled in casedesk.support.presence), dropped silently when refused.
        if not isinstance(content, dict) or content.get("type") != "typing" or self.visitor_id is None:
            return
        now = asyncio.get_running_loop().time()
        if now - self.last_typing < TYPING_INTERVAL_SECONDS / 2:
            return  # a cheap guard before the database; the real throttle is shared
        self.last_typing = now
        public_id = content.get("conversation")
        if isinstance(public_id, str) and len(public_id) <= 64:
            await database_sync_to_async(send_visitor_typing)(self.visitor_id, public_id)

    async def support_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])


def _agent_group(scope: dict[str, Any], conversation_id: int) -> str | None:
    return team_conversation_group(viewer_from_scope(scope), conversation_id)


def _agent_typing(scope: dict[str, Any], conversation_id: int) -> None:
    send_agent_typing(viewer_from_scope(scope), conversation_id)


class AgentConsumer(AsyncJsonWebsocketConsumer):
    """A team member's conversation page (``/ws/support/agent/?conversation=<id>``).

    Authenticated by the session, like page sockets; only the team of the conversation's agency
    gets in (``access_conversation_as_team``), else the socket closes as a 404 would. It hears
    the visitor's typing, and passes the agent's ``{"type": "typing"}`` on to the visitor
    (``casedesk.support.presence``, which re-checks access and throttles).
    """

    group: str | None = None
    conversation_id: int = 0
    last_typing: float = -1e9

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        conversation_id = parse_id((query.get("conversation") or [""])[0])
        if conversation_id is None:  # missing, not a number, or beyond any id: as a 404
            await self.close(code=4404)
            return
        self.conversation_id = conversation_id
        self.group = await database_sync_to_async(_agent_group)(self.scope, self.conversation_id)
        if self.group is None:
            await self.close(code=4404)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "typing" or self.group is None:
            return
        now = asyncio.get_running_loop().time()
        if now - self.last_typing < TYPING_INTERVAL_SECONDS / 2:
            return  # a cheap guard before the database; the real throttle is shared
        self.last_typing = now
        await database_sync_to_async(_agent_typing)(self.scope, self.conversation_id)

    async def live_event(self, message: dict[str, Any]) -> None:
        """The visitor's typing (``casedesk.live.publish.publish_signal`` frames it once)."""
        text = message.get("text")
        if isinstance(text, str):
            await self.send(text_data=text)


def _queue_agency(scope: dict[str, Any], agency_id: int) -> int | None:
    """The agency id when the session is on its team (as the queue page decides), else None."""
    viewer = viewer_from_scope(scope)
    return agency_id if any(a.pk == agency_id for a in team_agencies(viewer)) else None


def _waiting_count(agency_id: int) -> int:
    """The sidebar's figure (``support_waiting_count``): a count, never a line of text."""
    return Conversation.objects.filter(agency_id=agency_id, state__in=WAITING_STATES).count()


class QueueConsumer(AsyncJsonWebsocketConsumer):
    """An agency's support queue, for its team (``/ws/support/queue/?agency=<id>``).

    Authenticated by the session; only the team of that agency gets in, else the socket closes
    as a 404 would (4404). Site origins only (``casedesk.live.origin``). Each frame says which
    conversation changed and how many are waiting: never a line of text, so the page re-reads
    the lists over its access-checked HTTP view. The first frame after the socket opens is the
    count alone (``queue.state``).
    """

    group: str | None = None
    agency_id: int = 0

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        agency_id = parse_id((query.get("agency") or [""])[0])
        if agency_id is None:
            await self.close(code=4404)
            return
        allowed = await database_sync_to_async(_queue_agency)(self.scope, agency_id)
        if allowed is None:
            await self.close(code=4404)
            return
        self.agency_id = allowed
        self.group = agency_group(allowed)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # The count as of now: a page that reconnects after a drop learns what it missed.
        waiting = await database_sync_to_async(_waiting_count)(allowed)
        await self.send_json({"event": "queue.state", "waiting": waiting})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        return  # nothing is written over this socket

    async def support_event(self, event: dict[str, Any]) -> None:
        payload = event.get("payload") or {}
        conversation = payload.get("conversation")
        if payload.get("event") != "conversation.updated" or not isinstance(conversation, str):
            return
        waiting = await database_sync_to_async(_waiting_count)(self.agency_id)
        await self.send_json(
            {"event": "conversation.updated", "conversation": conversation, "waiting": waiting}
        )
