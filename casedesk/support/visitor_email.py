"""The answer finds the visitor: a person's reply the visitor has not seen goes out by email.

``do_reply_as_agent`` enqueues ``send_visitor_reply_email`` (ids only) in the reply's own
transaction, to run ``WidgetSettings.unseen_reply_email_minutes`` later (default 3). When it
runs it sends nothing if the widget already showed the reply (``ConversationMessage.seen_at``,
reported by the widget), if the conversation has no address, or if the visitor unsubscribed.

Idempotency: ``VisitorReplyEmail`` is unique per (reply, visitor) and is written in the
transaction that sends, under the reply row's lock; a retry, a duplicate delivery or a replay
from Admin → Failed Jobs finds it and sends nothing. As for every email here, a worker dying
between the SMTP server's acceptance and the COMMIT sends it again, with the same Message-ID.

The email shows the conversation's latest lines. A conversation has no internal lines by
construction (internal notes live on the escalated case, which this module never reads).

Replying to the email goes through the one inbound pipeline of case replies: the Reply-To is
an ordinary reply address (``reply+<token>@``) of the visitor's Contact on the escalated case,
so token routing, the sender check (From must be that address), quarantine, loop protection
and reply parsing are the ones every case reply gets. The visitor's Contact is created in the
"Support chat visitors" client the first time, and sits on the case with
``email_notifications=False`` (this module is their email channel). The posted case message
comes back to the conversation through ``support/subscribers.py`` (``MessagePosted``).
An address that already belongs to another contact of the agency is never taken over by an
unverified visitor: that email carries no reply address and says to answer in the chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from casedesk.accounts.models import Contact
from casedesk.cases.actions import do_add_contact_to_case
from casedesk.cases.models import CaseContact
from casedesk.jobs import durable_task
from casedesk.jobs.faults import fault_point
from casedesk.lib.emails import build_email, from_address
from casedesk.mail import addresses
from casedesk.mail.emails import LOOP_HEADER
from casedesk.mail.tokens import issue_reply_token
from casedesk.support.models import (
    Conversation,
    ConversationMessage,
    MessageKind,
    Visitor,
    VisitorReplyEmail,
    WidgetSettings,
)

TASK_KIND = "support.visitor_reply_email"
VISITOR_REPLY_HEADER = "X-Casedesk-Visitor-Reply"  # the reply's id: the chaos run counts emails by it
LATEST_LINES = 6
_UNSUBSCRIBE_SALT = "casedesk.support.answer_email.unsubscribe"


@dataclass(frozen=True)
class ChatLine:
    author: str
    text: str
    when: str


def visitor_reply_email(
    *,
    to: str,
    message_id: str,
    agency_name: str,
    author_name: str,
    subject: str,
    lines: list[ChatLine],
    conversation_url: str,
    unsubscribe_url: str,
    reply_to: str | None,
) -> EmailMultiAlternatives:
    """The "a person answered you" email (template triplet ``support/emails/visitor-reply-*``).

    One-click unsubscribe (RFC 8058): ``List-Unsubscribe`` with the signed URL and
    ``List-Unsubscribe-Post``, so mail clients can POST to it without the visitor signing in.
    """
    return build_email(
        "support/emails/visitor-reply",
        to=[to],
        from_email=from_address(f"{author_name} ({agency_name})"),
        reply_to=reply_to,
        context={
            "site_url": settings.SITE_URL,
            "agency_name": agency_name,
            "author_name": author_name,
            "subject": subject,
            "lines": lines,
            "conversation_url": conversation_url,
            "unsubscribe_url": unsubscribe_url,
            "can_reply": bool(reply_to),
        },
        headers={
            "Message-ID": message_id,
            # RFC 3834: autoresponders stay quiet; our own mail coming back is recognised.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            LOOP_HEADER: "visitor-reply",
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def unsubscribe_token(conversation: Conversation) -> str:
    """Signed (SECRET_KEY) and bound to the address, so a later address needs a new link."""
    return signing.dumps([conversation.pk, conversation.answer_email.lower()], salt=_UNSUBSCRIBE_SALT)


def conversation_for_unsubscribe_token(token: str) -> Conversation | None:
    """The conversation an unsubscribe link names; None for a forged, garbled or stale link."""
    try:
        conversation_id, address = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or conversation.answer_email.lower() != str(address):
        return None
    return conversation


def unsubscribe_url(conversation: Conversation) -> str:
    return settings.SITE_URL + reverse(
        "support:answer_email_unsubscribe", args=[unsubscribe_token(conversation)]
    )


def conversation_url(conversation: Conversation) -> str:
    """Back to the page the visitor chatted on; the widget there keeps the history."""
    base = conversation.page_url or f"{settings.SITE_URL}/s/{conversation.agency.slug}/"
    return f"{base.split('#', 1)[0]}#casedesk-chat"


def delay_for(conversation: Conversation) -> timedelta:
    minutes = (
        WidgetSettings.objects.filter(agency_id=conversation.agency_id)
        .values_list("unseen_reply_email_minutes", flat=True)
        .first()
    )
    return timedelta(minutes=3 if minutes is None else minutes)


def schedule_visitor_reply_email(message: ConversationMessage, conversation: Conversation) -> None:
    """Called inside the reply's transaction: the email task commits or rolls back with it."""
    if not conversation.answer_email or conversation.answer_email_unsubscribed_at is not None:
        return
    send_visitor_reply_email.using(run_after=timezone.now() + delay_for(conversation)).enqueue(message.pk)


def _message_id(args: Any, kwargs: Any) -> int | None:
    raw = args[0] if isinstance(args, list | tuple) and args else (kwargs or {}).get("message_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def describe_visitor_reply_email(args: Any, kwargs: Any) -> dict[str, Any]:
    """For Admin → Failed Jobs: the tenant and a link to the conversation."""
    message_id = _message_id(args, kwargs)
    message = (
        ConversationMessage.objects.select_related("conversation__visitor").filter(pk=message_id).first()
        if message_id is not None
        else None
    )
    if message is None:
        return {
            "tenant_id": None,
            "label": f"Email a support reply to the visitor (message {message_id})",
            "url": "",
        }
    conversation = message.conversation
    return {
        "tenant_id": conversation.agency_id,
        "label": f"Email the answer to {conversation.visitor.display_name} (support chat #{conversation.pk})"[
            :200
        ],
        "url": reverse("support:conversation", args=[conversation.pk]),
    }


def reply_address_for(conversation: Conversation) -> str | None:
    """The visitor's reply address on the escalated case (issuing Contact and token once), or None."""
    case = conversation.case
    address = conversation.answer_email
    if case is None or not address:
        return None
    visitor = (
        Visitor.objects.select_for_update(of=("self",))
        .select_related("contact")
        .get(pk=conversation.visitor_id)
    )
    contact = visitor.contact
    if contact is None:
        if Contact.objects.filter(agency_id=conversation.agency_id, email__iexact=address).exists():
            return None  # someone else's address in this agency: never borrow their identity
        contact = Contact.objects.create(
            agency_id=conversation.agency_id,
            client_id=case.client_id,
            name=visitor.display_name[:150],
            email=address,
        )
        Visitor.objects.filter(pk=visitor.pk).update(contact=contact)
    elif contact.email.lower() != address.lower():
        return None
    if contact.agency_id != case.agency_id:
        return None
    if not CaseContact.objects.filter(case=case, contact=contact).exists():
        do_add_contact_to_case(case=case, contact=contact, email_notifications=False)
    return issue_reply_token(contact=contact, case=case).address


def _lines(conversation: Conversation) -> list[ChatLine]:
    rows = list(
        ConversationMessage.objects.filter(conversation=conversation)
        .exclude(kind=MessageKind.SYSTEM)
        .select_related("author_user")
        .prefetch_related("files")
        .order_by("-id")[:LATEST_LINES]
    )
    return [
        ChatLine(
            author=row.author_label,
            text="\n".join([row.body, *row.file_notes]).strip(),
            when=timezone.localtime(row.created_at).strftime("%-d %b %Y, %H:%M"),
        )
        for row in reversed(rows)
    ]


@durable_task(kind=TASK_KIND, queue="mail", max_attempts=8, describe=describe_visitor_reply_email)
def send_visitor_reply_email(message_id: int) -> bool:
    """Email one unseen reply to the visitor, once. Returns whether an email went out."""
    with transaction.atomic():
        message = (
            ConversationMessage.objects.select_for_update(of=("self",))
            .select_related("conversation__agency", "conversation__visitor", "author_user")
            .filter(pk=message_id, kind=MessageKind.AGENT)
            .first()
        )
        if message is None or message.seen_at is not None:
            return False
        conversation = message.conversation
        if not conversation.answer_email or conversation.answer_email_unsubscribed_at is not None:
            return False
        if VisitorReplyEmail.objects.filter(message=message, visitor_id=conversation.visitor_id).exists():
            return False
        key = f"visitor_reply:{message.pk}:{conversation.visitor_id}"
        rfc_message_id = addresses.message_id(key)
        VisitorReplyEmail.objects.create(
            message=message,
            visitor_id=conversation.visitor_id,
            to_address=conversation.answer_email,
            rfc_message_id=rfc_message_id,
        )
        agency_name = "casedesk support" if conversation.agency.is_platform else conversation.agency.name
        email = visitor_reply_email(
            reply_to=reply_address_for(conversation),
            to=conversation.answer_email,
            message_id=rfc_message_id,
            agency_name=agency_name,
            author_name=message.author_label,
            subject=conversation.subject or "your question",
            lines=_lines(conversation),
            conversation_url=conversation_url(conversation),
            unsubscribe_url=unsubscribe_url(conversation),
        )
        email.extra_headers[VISITOR_REPLY_HEADER] = str(message.pk)
        fault_point("visitor_email.before_send", str(conversation.pk))
        email.send()
        fault_point("visitor_email.after_send", str(conversation.pk))
    return True
