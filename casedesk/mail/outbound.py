"""Outbound notification mail: who gets an email for what, and the tasks that send it.

``schedule_message_notifications`` and ``schedule_mention_email`` are called by
``casedesk.cases.actions`` inside the posting transaction. They enqueue one durable task per
recipient (ids only), so a crash between "posted" and "queued" cannot happen and an SMTP
outage only delays mail: the jobs pipeline retries with backoff and, when attempts run out,
the job shows in Admin → Failed Jobs where it can be replayed.

Idempotency: each task first creates (or finds) its ``OutboundEmail`` row by a unique
``idempotency_key`` and does nothing when ``sent_at`` is set. The one step that is not
exactly-once is the window between the SMTP server accepting the message and the
``sent_at`` update (one UPDATE, milliseconds): a worker dying there sends the email again
on retry, with the *same* Message-ID, which mail clients treat as the same message.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from casedesk.accounts.actions import do_issue_magic_link
from casedesk.accounts.models import Contact, Membership, User
from casedesk.cases.models import Case, CaseContact, Document, Message, Notification
from casedesk.jobs import durable_task
from casedesk.mail import emails
from casedesk.mail.models import EmailKind, OutboundEmail
from casedesk.mail.tokens import issue_reply_token

log = logging.getLogger(__name__)


# --- URLs -----------------------------------------------------------------------------------


def _url(name: str, args: list[Any]) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def portal_conversation_url(case_id: int) -> str:
    return _url("portal:messages", [case_id])


def team_case_url(case_id: int) -> str:
    return _url("cases:messages", [case_id])


def notification_settings_url() -> str:
    return _url("settings:profile", [])


def document_share_url(document: Document) -> str:
    """The share link: it opens the file only for someone with access to the case, checked per fetch."""
    return _url("cases:document_share", [document.share_token])


def _magic_link_url(contact: Contact, case: Case) -> str:
    return do_issue_magic_link(contact=contact, case=case).url


def _message_id(key: str) -> str:
    safe = key.replace(":", ".")
    return f"<{safe}.{timezone.now().strftime('%Y%m%d%H%M%S')}@{settings.INBOUND_EMAIL_DOMAIN}>"


# --- Scheduling (inside the posting transaction) ------------------------------------------------


def schedule_message_notifications(message: Message) -> None:
    """Enqueue one email task per recipient of a new message.

    Clients: every contact on the case except the author, for client-visible messages only.
    Team: members on the case, for client messages, when they want ``email_on_client_reply``.
    """
    if message.internal_only:
        return
    recipients = CaseContact.objects.filter(case_id=message.case_id)
    if message.author_contact_id is not None:
        recipients = recipients.exclude(contact_id=message.author_contact_id)
    contact_ids = recipients.values_list("contact_id", flat=True)
    for contact_id in contact_ids:
        send_client_message_email.enqueue(message.pk, contact_id)
    if message.author_contact_id is not None:
        case = Case.objects.get(pk=message.case_id)
        active = Membership.objects.filter(agency_id=case.agency_id, is_active=True).values("user_id")
        members = case.members.filter(pk__in=active, is_active=True, email_on_client_reply=True)
        for user_id in members.values_list("pk", flat=True):
            send_team_client_reply_email.enqueue(message.pk, user_id)


def schedule_mention_email(notification: Notification) -> None:
    """Enqueue the mention email, unless the person turned mention emails off."""
    user = notification.user
    if not user.is_active or not user.email_on_mention:
        return
    send_mention_email.enqueue(notification.pk)


# --- Sending -----------------------------------------------------------------------------------


def _describe_message(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    message = Message.objects.select_related("case").filter(pk=int(args[0]) if args else 0).first()
    if message is None:
        return {"tenant_id": None, "label": f"Email about message {args[0] if args else '?'}", "url": ""}
    return {
        "tenant_id": message.case.agency_id,
        "label": f"Email about a message on {message.case.reference}",
        "url": reverse("cases:detail", args=[message.case_id]),
    }


def _describe_notification(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    notification = Notification.objects.filter(pk=int(args[0]) if args else 0).first()
    if notification is None:
        return {"tenant_id": None, "label": "Mention email", "url": ""}
    return {"tenant_id": notification.agency_id, "label": "Mention email", "url": notification.url}


def _record(key: str, **fields: Any) -> OutboundEmail:
    row, _ = OutboundEmail.objects.get_or_create(
        idempotency_key=key, defaults={"rfc_message_id": _message_id(key), **fields}
    )
    return row


def deliver(row: OutboundEmail, email: EmailMultiAlternatives) -> None:
    """Send and record. Raises on failure so the jobs pipeline retries (see module docstring)."""
    OutboundEmail.objects.filter(pk=row.pk).update(attempts=row.attempts + 1, subject=email.subject[:300])
    try:
        email.send()
    except Exception as error:
        OutboundEmail.objects.filter(pk=row.pk).update(last_error=repr(error)[:2000])
        raise
    OutboundEmail.objects.filter(pk=row.pk).update(sent_at=timezone.now(), last_error="")


def _attachment_links(message: Message) -> list[emails.Link]:
    links = []
    for document in Document.objects.filter(message=message, internal_only=False).order_by("pk"):
        links.append(emails.Link(label=document.name, url=document_share_url(document)))
    return links


@durable_task(kind="mail.client_message", queue="mail", max_attempts=8, describe=_describe_message)
def send_client_message_email(message_id: int, contact_id: int) -> None:
    """Email a client-visible message to one contact on the case. Idempotent."""
    message = (
        Message.objects.select_related("case", "case__agency", "author_user", "author_contact")
        .filter(pk=message_id)
        .first()
    )
    contact = Contact.objects.select_related("user").filter(pk=contact_id).first()
    # Re-checked at send time: a message made internal or deleted, or a contact who left the
    # case since, gets nothing.
    if message is None or contact is None or message.internal_only or message.deleted_at is not None:
        return
    case = message.case
    if not CaseContact.objects.filter(case=case, contact=contact).exists():
        return
    key = f"client_message:{message.pk}:{contact.pk}"
    row = _record(
        key,
        kind=EmailKind.CLIENT_MESSAGE,
        agency_id=case.agency_id,
        case=case,
        message=message,
        contact=contact,
        to_address=contact.email,
    )
    if row.sent_at is not None:
        return
    with transaction.atomic():
        token = issue_reply_token(contact=contact, case=case)
        portal = contact.has_portal_access
        conversation_url = portal_conversation_url(case.pk) if portal else _magic_link_url(contact, case)
    email = emails.client_message(
        to=contact.email,
        message_id=row.rfc_message_id,
        contact_name=contact.name,
        agency_name=case.agency.name,
        case_reference=case.reference,
        case_title=case.title,
        case_id=case.pk,
        author_name=message.author_name,
        body_text=message.body,
        body_html=message.body_html,
        conversation_url=conversation_url,
        attachments=_attachment_links(message),
        reply_to=token.address,
        uses_magic_link=not portal,
    )
    deliver(row, email)


def _team_member_on_case(user: User, case: Case) -> bool:
    return (
        user.is_active
        and Membership.objects.filter(user=user, agency_id=case.agency_id, is_active=True).exists()
    )


@durable_task(kind="mail.team_client_reply", queue="mail", max_attempts=8, describe=_describe_message)
def send_team_client_reply_email(message_id: int, user_id: int) -> None:
    """Tell a team member on the case that the client replied. Idempotent."""
    message = (
        Message.objects.select_related("case", "case__agency", "author_contact").filter(pk=message_id).first()
    )
    user = User.objects.filter(pk=user_id).first()
    if message is None or user is None or message.internal_only or message.deleted_at is not None:
        return
    case = message.case
    if not user.email_on_client_reply or not _team_member_on_case(user, case):
        return
    key = f"team_client_reply:{message.pk}:{user.pk}"
    row = _record(
        key,
        kind=EmailKind.TEAM_CLIENT_REPLY,
        agency_id=case.agency_id,
        case=case,
        message=message,
        user=user,
        to_address=user.email,
    )
    if row.sent_at is not None:
        return
    email = emails.team_client_reply(
        to=user.email,
        message_id=row.rfc_message_id,
        user_name=user.name,
        agency_name=case.agency.name,
        case_reference=case.reference,
        case_title=case.title,
        case_id=case.pk,
        author_name=message.author_name,
        body_text=message.body,
        body_html=message.body_html,
        case_url=team_case_url(case.pk),
        attachments=_attachment_links(message),
        settings_url=notification_settings_url(),
    )
    deliver(row, email)


@durable_task(kind="mail.team_mention", queue="mail", max_attempts=8, describe=_describe_notification)
def send_mention_email(notification_id: int) -> None:
    """Email a mention to the teammate. Internal notes are announced, never quoted. Idempotent."""
    notification = (
        Notification.objects.select_related("user", "message", "message__case", "message__author_user")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.message is None:
        return
    message, user = notification.message, notification.user
    case = message.case
    if message.deleted_at is not None or not user.email_on_mention or not _team_member_on_case(user, case):
        return
    key = f"team_mention:{notification.pk}"
    row = _record(
        key,
        kind=EmailKind.TEAM_MENTION,
        agency_id=case.agency_id,
        case=case,
        message=message,
        notification=notification,
        user=user,
        to_address=user.email,
    )
    if row.sent_at is not None:
        return
    email = emails.team_mention(
        to=user.email,
        message_id=row.rfc_message_id,
        user_name=user.name,
        case_reference=case.reference,
        case_title=case.title,
        case_id=case.pk,
        author_name=message.author_name,
        body_text=message.body,
        body_html=message.body_html,
        internal_only=message.internal_only,
        case_url=team_case_url(case.pk),
        settings_url=notification_settings_url(),
    )
    deliver(row, email)
