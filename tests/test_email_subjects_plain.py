"""Email subjects are plain text: a title with quotes, <, > and & reads as typed in every kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from casedesk.cases.actions import do_post_message
from casedesk.mail import emails
from tests.conftest import Cast

TITLE = 'Mother\'s Day <flyer> & "more"'
NAME = "Sam O'Neil & <Co>"
ESCAPED = ("&#x27;", "&#39;", "&lt;", "&gt;", "&amp;", "&quot;")


def _message_kinds() -> dict[str, Callable[[], EmailMultiAlternatives]]:
    shared: dict[str, Any] = {"to": "x@example.test", "message_id": "<m@casedesk.test>"}
    post: dict[str, Any] = {
        "body_text": "hi",
        "body_html": "<p>hi</p>",
        "attachments": [],
        "author_name": NAME,
        "case_id": 1,
    }
    return {
        "client_message": lambda: emails.client_message(
            **shared, **post, author_organisation=NAME, contact_name=NAME, agency_name=NAME,
            case_reference="case-1", case_title=TITLE, conversation_url="http://x/", reply_to="r@x.test",
            uses_magic_link=False,
        ),
        "team_client_reply": lambda: emails.team_client_reply(
            **shared, **post, author_organisation=NAME, user_name=NAME, agency_name=NAME,
            case_reference="case-1", case_title=TITLE,
            case_url="http://x/", settings_url="http://x/s",
        ),
        "team_mention": lambda: emails.team_mention(
            **shared, **{k: v for k, v in post.items() if k != "attachments"}, user_name=NAME,
            case_reference="case-1", case_title=TITLE, internal_only=False, case_url="http://x/",
            settings_url="http://x/s",
        ),
        "bounce": lambda: emails.bounce(
            **shared, original_subject=TITLE, original_message_id="<o@x>", reason="No such case."
        ),
        "attachment_too_large": lambda: emails.attachment_too_large(
            **shared, original_subject=TITLE, original_message_id="<o@x>", case_reference="case-1",
            files=["a.mov (30 MB)"], limit="25 MB", reply_to=None,
        ),
        "fresh_magic_link": lambda: emails.fresh_magic_link(
            **shared, contact_name=NAME, agency_name=NAME, case_title=TITLE, url="http://x/"
        ),
    }  # fmt: skip


@pytest.mark.parametrize("kind", sorted(_message_kinds()))
def test_notification_subjects_are_not_html_escaped(kind: str) -> None:
    email = _message_kinds()[kind]()
    assert not any(entity in email.subject for entity in ESCAPED), email.subject
    assert TITLE in email.subject or NAME in email.subject
    assert not any(entity in str(email.body) for entity in ESCAPED), email.body


def test_a_case_titled_with_an_apostrophe_mails_its_title_as_typed(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    cast.case_a.title = TITLE
    cast.case_a.save(update_fields=["title"])
    mail.outbox.clear()
    do_post_message(case=cast.case_a, body="The flyer is ready.", author_user=cast.bob)
    run_tasks()
    subjects = {m.subject for m in mail.outbox}
    assert subjects == {f"[{cast.case_a.reference}] {TITLE}"}
