"""Every email the mail app sends: one function per kind, each a subject/text/HTML template triplet.

Templates live in ``casedesk/mail/templates/mail/<kind>-subject.txt``, ``-body.txt`` and
``-body.html``. The functions only *build* messages; ``casedesk.mail.tasks`` sends them
through durable tasks and records them in ``OutboundEmail``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email._policybase import Compat32
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from casedesk.mail.addresses import thread_root_id

# Our own mail carries this header; inbound mail that has it is our mail coming back.
LOOP_HEADER = "X-Casedesk-Notification"


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def _from_address(display_name: str) -> str:
    from email.utils import parseaddr

    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((display_name, address))


# A header value that needs no folding or encoding: printable ASCII words separated by single spaces.
_PLAIN_HEADER_VALUE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*\Z")


class _PlainHeadersFirstPolicy(Compat32):
    """Django's own policy (``compat32``), minus the cost of folding headers that fit on a line.

    ``compat32`` runs every header, however short, through ``email.header.Header`` to split and
    rejoin it: about 15% of the worker's CPU per notification. For a value of plain printable
    ASCII words with single spaces that fits within ``max_line_length``, that machinery writes
    ``name: value`` unchanged, so it is written directly; everything else (long, non-ASCII,
    multi-line or oddly spaced values) still goes through ``compat32``, byte for byte as before.
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and (not self.max_line_length or len(name) + 2 + len(value) <= self.max_line_length)
            and _PLAIN_HEADER_VALUE.match(value)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)  # type: ignore[misc]


NOTIFICATION_POLICY = _PlainHeadersFirstPolicy()


class NotificationEmail(EmailMultiAlternatives):
    """An email whose MIME boundary is chosen up front and whose short headers are written cheaply.

    Left to itself, the standard library picks a boundary while writing the message and compiles
    a fresh regular expression to check the body does not contain it: a noticeable share of the
    CPU per notification. 128 random bits cannot occur in the body by accident, and nobody
    writing a message can know them in advance. The message is written with
    ``NOTIFICATION_POLICY`` (same bytes as Django's ``compat32``, less work for short headers).
    """

    def message(self, **kwargs: Any) -> Any:  # Django 6 adds ``policy=``; 5.2 takes nothing
        msg = super().message(**kwargs)
        if msg.is_multipart() and msg.get_boundary() is None:
            msg.set_boundary(f"=_cd_{secrets.token_hex(16)}")
        if type(msg.policy) is Compat32:
            # The generator writes every part with the top-level message's policy.
            msg.policy = NOTIFICATION_POLICY
        return msg


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
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"mail/{kind}-subject.txt", context).split())
    text = render_to_string(f"mail/{kind}-body.txt", context)
    html = render_to_string(f"mail/{kind}-body.html", context)
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
    email = NotificationEmail(
        subject=subject,
        body=text,
        from_email=_from_address(from_name),
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    return email


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
