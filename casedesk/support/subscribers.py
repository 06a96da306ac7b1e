"""What the support app's channels do when something happened (see ``casedesk.lib.events``).

Subscribed at startup by ``SupportConfig.ready``, after commit: the widget and the queue hear
of a change only once it is readable, and a failed publish never fails the write.
"""

from __future__ import annotations

from casedesk.lib.events import subscribe
from casedesk.support import live
from casedesk.support.events import ConversationChanged


def on_conversation_changed(event: ConversationChanged) -> None:
    live.publish_conversation_updated(event.visitor_id, event.agency_id, event.conversation_public_id)


def subscribe_all() -> None:
    subscribe(ConversationChanged, on_conversation_changed, after_commit=True)
