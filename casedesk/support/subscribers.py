"""What the support app's channels do when something happened (see ``casedesk.lib.events``).

Subscribed at startup by ``SupportConfig.ready``:

- after commit, live updates: the widget and the queue hear of a change only once it is
  readable, and a failed publish never fails the write;
- in the transaction, a visitor's email reply that the inbound pipeline posted to their
  escalated case is added to the chat as well (it commits or rolls back with the post).
"""

from __future__ import annotations

from casedesk.cases.events import MessagePosted
from casedesk.cases.models import MessageSource
from casedesk.lib.events import subscribe
from casedesk.support import actions, live
from casedesk.support.events import ConversationChanged
from casedesk.support.models import Conversation


def on_conversation_changed(event: ConversationChanged) -> None:
    live.publish_conversation_updated(
        event.visitor_id, event.agency_id, event.conversation_public_id, to_visitor=not event.team_only
    )


def on_message_posted(event: MessagePosted) -> None:
    message = event.message
    if message.source != MessageSource.EMAIL or message.author_contact_id is None:
        return
    conversation = (
        Conversation.objects.filter(case_id=message.case_id, visitor__contact_id=message.author_contact_id)
        .order_by("id")
        .first()
    )
    if conversation is not None:
        actions.do_record_visitor_email_reply(conversation=conversation, body=message.body)


def subscribe_all() -> None:
    subscribe(ConversationChanged, on_conversation_changed, after_commit=True)
    subscribe(MessagePosted, on_message_posted)
