"""Notification emails are written with a cheaper header policy that must give the same bytes."""

from __future__ import annotations

import random
import string
from email import generator
from email.policy import compat32
from io import BytesIO
from typing import Any

import pytest

from casedesk.lib.emails import NOTIFICATION_POLICY
from casedesk.mail.emails import Link, client_message


def _bytes(msg: Any, policy: Any) -> bytes:
    out = BytesIO()
    generator.BytesGenerator(out, mangle_from_=False, policy=policy).flatten(msg, linesep="\r\n")
    return out.getvalue()


@pytest.mark.parametrize(
    ("author", "title"),
    [
        ("Bob", "Revised brief"),
        ("Zoë Ünal", "Überarbeitetes Angebot für das Frühjahr"),
        ("Bob", "A title long enough that the subject line has to be folded over more than one line " * 2),
        ("Bob  Two-Spaces", "trailing space "),
        ("O'Brien, Pat", 'Quotes "and" commas, semicolons; and tabs\tinside'),
    ],
)
def test_notification_email_bytes_match_django_default_policy(settings: Any, author: str, title: str) -> None:
    settings.DEFAULT_FROM_EMAIL = "casedesk <notifications@casedesk.example>"
    email = client_message(
        to="Carol Client <carol@globex.example>",
        message_id="<m-1.abc@casedesk.example>",
        contact_name="Carol",
        agency_name="Acme Agency",
        case_reference="ACME-12",
        case_title=title,
        case_id=12,
        author_name=author,
        author_organisation="Acme Agency",
        body_text="Hello",
        body_html="<p>Hello</p>",
        conversation_url="https://casedesk.example/c/12",
        attachments=[Link("brief.pdf", "https://casedesk.example/d/1")],
        reply_to="reply+abc@casedesk.example",
        uses_magic_link=True,
    )
    msg = email.message()
    assert msg.policy is NOTIFICATION_POLICY
    written = _bytes(msg, None)  # None: the message's own policy, as Django's as_bytes uses
    assert written == _bytes(msg, compat32.clone(linesep="\r\n"))
    assert b"Subject: " in written


def test_plain_header_shortcut_folds_like_compat32() -> None:
    rng = random.Random(8)
    alphabet = string.ascii_letters + string.digits + string.punctuation + "  \tÿé"
    names = ["Subject", "From", "References", "X-Casedesk-Notification", "Message-ID"]
    fast = NOTIFICATION_POLICY.clone(linesep="\r\n")
    slow = compat32.clone(linesep="\r\n")
    for _ in range(20000):
        name = rng.choice(names)
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 95)))
        assert fast.fold_binary(name, value) == slow.fold_binary(name, value), (name, value)
        assert fast.fold(name, value) == slow.fold(name, value), (name, value)
