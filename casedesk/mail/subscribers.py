"""What the mail app does when the domain says something happened (see ``casedesk.lib.events``).

Subscribed at startup by ``MailConfig.ready``. Every handler here runs *inside* the emitting
action's transaction, because email must not be lost: it only enqueues a durable task (or
revokes rows), which commits or rolls back with the action.
"""

from __future__ import annotations

from casedesk.accounts.events import AccountEmailRecorded, FreshMagicLinkIssued
from casedesk.cases.events import ContactLeftCase, MentionNotified, MessagePosted
from casedesk.lib.events import subscribe
from casedesk.mail import account_emails, outbound, tokens


def on_message_posted(event: MessagePosted) -> None:
    outbound.schedule_message_notifications(event.message)


def on_mention_notified(event: MentionNotified) -> None:
    outbound.schedule_mention_email(event.notification)


def on_contact_left_case(event: ContactLeftCase) -> None:
    tokens.revoke_reply_tokens(case=event.case, contact=event.contact)


def on_fresh_magic_link_issued(event: FreshMagicLinkIssued) -> None:
    outbound.send_fresh_magic_link_email.enqueue(event.link.pk)


def on_account_email_recorded(event: AccountEmailRecorded) -> None:
    account_emails.send_account_email.enqueue(event.account_email_id)


def subscribe_all() -> None:
    subscribe(MessagePosted, on_message_posted)
    subscribe(MentionNotified, on_mention_notified)
    subscribe(ContactLeftCase, on_contact_left_case)
    subscribe(FreshMagicLinkIssued, on_fresh_magic_link_issued)
    subscribe(AccountEmailRecorded, on_account_email_recorded)
