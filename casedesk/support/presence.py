"""Typing indicators in support chats: visitor ↔ agent.

- The visitor's widget sends ``{"type": "typing", "conversation": "<public id>"}`` on its own
  socket (``WidgetConsumer``); it reaches the team's open pages of that conversation
  (``AgentConsumer``, ``/ws/support/agent/?conversation=<id>``, team of its agency only).
- An agent's conversation page sends ``{"type": "typing"}`` on that socket; it reaches that
  visitor's widgets only, with the name the transcript uses.

Access is checked as the widget API and the team pages check it; the same throttle as case
threads (``casedesk.cases.presence``): one signal per person per conversation per interval, in
the shared cache. Conversations hold no internal notes, so there is no internal mode here.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import Http404

from casedesk.accounts.access import Viewer
from casedesk.cases.presence import TYPING_EXPIRES_SECONDS, TYPING_INTERVAL_SECONDS
from casedesk.live import publish as live_publish
from casedesk.support import live as support_live
from casedesk.support.access import access_conversation_as_team, access_conversation_as_visitor
from casedesk.support.models import ConversationState, Visitor


def conversation_team_group(conversation_id: int) -> str:
    return f"support-conversation-{int(conversation_id)}-team"


def team_conversation_group(viewer: Viewer, conversation_id: int) -> str | None:
    """The live group of a conversation for a team page, or None (no access: as a 404)."""
    try:
        conversation = access_conversation_as_team(viewer, conversation_id)
    except Http404:
        return None
    return conversation_team_group(conversation.pk)


def _first_in_interval(key: str) -> bool:
    return bool(cache.add(key, 1, timeout=TYPING_INTERVAL_SECONDS))


def send_visitor_typing(visitor_id: int, public_id: str) -> bool:
    """The visitor's typing, to the team's pages of that conversation; True when published."""
    visitor = Visitor.objects.filter(pk=visitor_id).first()
    if visitor is None:
        return False
    try:
        conversation = access_conversation_as_visitor(visitor, public_id)
    except Http404:
        return False
    if conversation.state == ConversationState.CLOSED:
        return False
    if not _first_in_interval(f"typing:conversation:{conversation.pk}:visitor"):
        return False
    payload = {
        "conversation": conversation.pk,
        "name": visitor.display_name,
        "side": "visitor",
        "expires": TYPING_EXPIRES_SECONDS,
    }
    live_publish.publish_signal([conversation_team_group(conversation.pk)], "typing", payload)
    return True


def send_agent_typing(viewer: Viewer, conversation_id: int) -> bool:
    """A team member's typing, to the visitor's widgets; True when published."""
    try:
        conversation = access_conversation_as_team(viewer, conversation_id)
    except Http404:
        return False
    if viewer.user is None or conversation.state == ConversationState.CLOSED:
        return False
    if not _first_in_interval(f"typing:conversation:{conversation.pk}:user:{viewer.user.pk}"):
        return False
    support_live.send_visitor_event(
        conversation.visitor_id,
        {
            "event": "typing",
            "conversation": str(conversation.public_id),
            "name": viewer.user.get_short_name(),
            "expires": TYPING_EXPIRES_SECONDS,
        },
    )
    return True
