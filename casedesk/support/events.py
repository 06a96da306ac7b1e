"""What the support actions tell the rest of the system (see ``casedesk.lib.events``).

``ConversationChanged`` is emitted inside the action's transaction; ``casedesk/support/subscribers.py``
tells the visitor's widgets and the agency's queue after commit. Team notifications raised by an
escalation use ``casedesk.cases.events.NotificationsChanged``, like every other notification.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConversationChanged:
    """A support conversation changed (a message, a claim, a state); ids only."""

    visitor_id: int
    agency_id: int
    conversation_public_id: str
    # Only the agency's queue needs to hear (a conversation the visitor has just opened themself).
    team_only: bool = False
