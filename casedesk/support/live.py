"""Live events for the support widget and queue, sent over the channel layer after commit.

Case threads use ``casedesk.live.publish``; conversations are not cases (a visitor is not a
case contact), so their events travel on their own groups, named here and nowhere else. Every
payload is built from ``ConversationMessage`` rows only, which never hold internal notes.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def visitor_group(visitor_id: int) -> str:
    return f"support-visitor-{visitor_id}"


def agency_group(agency_id: int) -> str:
    return f"support-agency-{agency_id}"


def _send(group: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "support.event", "payload": payload})
    except Exception:  # a live event is a courtesy: the widget also polls
        logger.warning("Could not publish a support event to %s", group, exc_info=True)


def send_visitor_event(visitor_id: int, payload: dict[str, Any]) -> None:
    """A transient event (typing) to one visitor's open widgets, now (no row behind it)."""
    _send(visitor_group(visitor_id), payload)


def publish_conversation_updated(
    visitor_id: int, agency_id: int, conversation_public_id: str, *, to_visitor: bool = True
) -> None:
    """Tell the visitor's open widgets (unless ``to_visitor`` is False) and the agency's queue
    (``casedesk.support.consumers.QueueConsumer``) that a conversation changed.

    Called after commit (``casedesk/support/subscribers.py`` subscribes it to ``ConversationChanged``).
    """
    payload = {"event": "conversation.updated", "conversation": conversation_public_id}
    if to_visitor:
        _send(visitor_group(visitor_id), payload)
    _send(agency_group(agency_id), payload)
