"""The one email builder: every email casedesk sends is a subject/text/HTML template triplet
rendered here (model: healthchecks' ``hc/lib/emails.py``).

An email kind is a template base name, ``<app>/emails/<kind>``, with three templates next to each
other: ``<kind>-subject.txt``, ``<kind>-body.txt`` and ``<kind>-body.html``. The subject and the
text body are plain text: rendered with autoescaping off, so "Mother's Day" stays
``Mother's Day`` (not ``Mother&#x27;s Day``), and the subject is folded onto one line (a header
cannot carry a newline). Only the HTML body is autoescaped.

This module only *builds*; every send goes through a durable task of the app that owns the kind,
with an idempotency record (``mail.OutboundEmail`` for notifications and support emails; the
magic link, invitation or password-reset request row itself for account emails).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email._policybase import Compat32
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Engine
from django.template.loader import render_to_string


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _plain(template_name: str, context: dict[str, Any]) -> str:
    # Engine.get_default() and Context(autoescape=False) are Django's documented API for
    # rendering a template without HTML escaping.
    template = Engine.get_default().get_template(template_name)
    return template.render(Context(context, autoescape=False))


def plain_subject(text: str) -> str:
    """One line of plain text: newlines and runs of whitespace become single spaces."""
    return " ".join(text.split())


def render_email(kind: str, context: dict[str, Any]) -> RenderedEmail:
    """The subject (plain, one line), text body (plain) and HTML body (escaped) of one email."""
    context = {"site_url": settings.SITE_URL, **context}
    return RenderedEmail(
        subject=plain_subject(_plain(f"{kind}-subject.txt", context)),
        text=_plain(f"{kind}-body.txt", context),
        html=render_to_string(f"{kind}-body.html", context),
    )


def from_address(display_name: str) -> str:
    """DEFAULT_FROM_EMAIL's address under another display name (``Bob (Acme) <noreply@…>``)."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((display_name, address))


def build_email(
    kind: str,
    *,
    to: list[str],
    context: dict[str, Any],
    from_email: str | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """The email of ``kind`` for ``to``: text body with an HTML alternative. Not sent here."""
    rendered = render_email(kind, context)
    email = NotificationEmail(
        subject=rendered.subject,
        body=rendered.text,
        from_email=from_email,
        to=to,
        reply_to=[reply_to] if reply_to else None,
        headers=headers or {},
    )
    email.attach_alternative(rendered.html, "text/html")
    return email


# --- Writing the message cheaply (a known exception to "public APIs only": DEVELOPERS.md) --------

# A header value that needs no folding or encoding: printable ASCII words separated by single spaces.
_PLAIN_HEADER_VALUE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*\Z")


class _PlainHeadersFirstPolicy(Compat32):
    """Django's own policy (``compat32``), minus the cost of folding headers that fit on a line.

    ``compat32`` runs every header, however short, through ``email.header.Header`` to split and
    rejoin it: about 15% of the worker's CPU per notification. For a value of plain printable
    ASCII words with single spaces that fits within ``max_line_length``, that machinery writes
    ``name: value`` unchanged, so it is written directly; everything else (long, non-ASCII,
    multi-line or oddly spaced values) still goes through ``compat32``, byte for byte as before.
    tests/test_mail_notification_policy.py compares the bytes with ``compat32``'s.
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
