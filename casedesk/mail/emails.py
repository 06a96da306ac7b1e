"""Every email the mail app sends: one function per kind, each a subject/text/HTML template triplet
rendered by the one builder, ``casedesk.lib.emails.build_email``.

Templates live in ``casedesk/mail/templates/mail/emails/<kind>-subject.txt``, ``-body.txt`` and
``-body.html``. The functions only *build* messages; ``casedesk.mail.outbound`` sends them
through durable tasks and records them in ``OutboundEmail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.mail import EmailMultiAlternatives

from casedesk.lib.emails import build_email, from_address
from casedesk.mail.addresses import thread_root_id

# Our own mail carries this header; inbound mail that has it is our mail coming back.
LOOP_HEADER = "X-Casedesk-Notification"


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def _build(
    kind: str,
    *,
    to: str,
    context: dict[str, Any],
    message_id: str,
    from_name: str,
    reply_to: str | None = None,
    references: list[str] | None = None,
) -> EmailMultiAlternatives:
    headers = {
        "Message-ID": message_id,
        # RFC 3834: we are an automatic responder; well-behaved autoresponders stay quiet.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        LOOP_HEADER: kind,
    }
    if references:
        headers["In-Reply-To"] = references[-1]
        headers["References"] = " ".join(references)
    return build_email(
        f"mail/emails/{kind}",
        to=[to],
        context=context,
        from_email=from_address(from_name),
        reply_to=reply_to,
        headers=headers,
    )


def client_message(
    *,
    to: str,
    message_id: str,
    contact_name: str,
    agency_name: str,
    case_reference: str,
    case_title: str,
    case_id: int,
    author_name: str,
    body_text: str,
    body_html: str,
    conversation_url: str,
    attachments: list[Link],
    reply_to: str,
    uses_magic_link: bool,
) -> EmailMultiAlternatives:
    return _build(
        "client-message",
        to=to,
        message_id=message_id,
        from_name=f"{author_name} ({agency_name})",
        reply_to=reply_to,
        references=[thread_root_id(case_id)],
        context={
            "contact_name": contact_name,
            "agency_name": agency_name,
            "case_reference": case_reference,
            "case_title": case_title,
            "author_name": author_name,
            "body_text": body_text,
            "body_html": body_html,
            "conversation_url": conversation_url,
            "attachments": attachments,
            "uses_magic_link": uses_magic_link,
        },
    )


def team_client_reply(
    *,
    to: str,
    message_id: str,
    user_name: str,
    agency_name: str,
    case_reference: str,
    case_title: str,
    case_id: int,
    author_name: str,
    body_text: str,
    body_html: str,
    case_url: str,
    attachments: list[Link],
    settings_url: str,
) -> EmailMultiAlternatives:
    return _build(
        "team-client-reply",
        to=to,
        message_id=message_id,
        from_name=f"{author_name} via casedesk",
        references=[thread_root_id(case_id)],
        context={
            "user_name": user_name,
            "agency_name": agency_name,
            "case_reference": case_reference,
            "case_title": case_title,
            "author_name": author_name,
            "body_text": body_text,
            "body_html": body_html,
            "case_url": case_url,
            "attachments": attachments,
            "settings_url": settings_url,
        },
    )


def team_mention(
    *,
    to: str,
    message_id: str,
    user_name: str,
    case_reference: str,
    case_title: str,
    case_id: int,
    author_name: str,
    body_text: str,
    body_html: str,
    internal_only: bool,
    case_url: str,
    settings_url: str,
) -> EmailMultiAlternatives:
    # Internal notes stay in casedesk: the email says where to read it, never what it says.
    return _build(
        "team-mention",
        to=to,
        message_id=message_id,
        from_name=f"{author_name} via casedesk",
        references=[thread_root_id(case_id)],
        context={
            "user_name": user_name,
            "case_reference": case_reference,
            "case_title": case_title,
            "author_name": author_name,
            "body_text": "" if internal_only else body_text,
            "body_html": "" if internal_only else body_html,
            "internal_only": internal_only,
            "case_url": case_url,
            "settings_url": settings_url,
        },
    )


def bounce(
    *, to: str, message_id: str, original_subject: str, original_message_id: str, reason: str
) -> EmailMultiAlternatives:
    references = [original_message_id] if original_message_id else None
    return _build(
        "bounce",
        to=to,
        message_id=message_id,
        from_name="casedesk",
        references=references,
        context={"original_subject": original_subject, "reason": reason},
    )


def attachment_too_large(
    *,
    to: str,
    message_id: str,
    original_subject: str,
    original_message_id: str,
    case_reference: str,
    files: list[str],
    limit: str,
    reply_to: str | None,
) -> EmailMultiAlternatives:
    references = [original_message_id] if original_message_id else None
    return _build(
        "attachment-too-large",
        to=to,
        message_id=message_id,
        from_name="casedesk",
        reply_to=reply_to,
        references=references,
        context={
            "original_subject": original_subject,
            "case_reference": case_reference,
            "files": files,
            "limit": limit,
        },
    )


def fresh_magic_link(
    *, to: str, message_id: str, contact_name: str, agency_name: str, case_title: str, url: str
) -> EmailMultiAlternatives:
    """A fresh link to a case, asked for by its contact (their old one expired or is bound to
    another browser). Sent only to the contact's own address."""
    return _build(
        "fresh-magic-link",
        to=to,
        message_id=message_id,
        from_name=agency_name,
        context={
            "contact_name": contact_name,
            "agency_name": agency_name,
            "case_title": case_title,
            "url": url,
        },
    )
