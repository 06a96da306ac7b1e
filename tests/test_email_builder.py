"""One email builder (casedesk.lib.emails): every kind is a subject/text/HTML template triplet,
subjects and text bodies are plain text (never HTML-escaped, one line for the subject), the HTML
is escaped, and every send goes through a durable task with its idempotency record."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.template.loader import get_template
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from casedesk.accounts.actions import do_invite_member
from casedesk.accounts.models import AccountEmail, AccountEmailKind, Invitation, Role
from casedesk.cases.actions import do_post_message
from casedesk.lib.emails import build_email, render_email
from casedesk.mail.account_emails import send_account_email
from casedesk.mail.models import EmailKind, OutboundEmail
from casedesk.support.actions import do_request_escalation, do_start_conversation
from casedesk.support.escalation import send_escalation_email
from casedesk.support.models import Visitor
from tests.conftest import Cast
from tests.support_helpers import triage_stub  # noqa: F401

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent / "casedesk"
HOSTILE = 'Mother\'s Day & "Spring" <sale>\nsecond line'
ONE_LINE = 'Mother\'s Day & "Spring" <sale> second line'

KINDS = [
    "mail/emails/client-message",
    "mail/emails/team-client-reply",
    "mail/emails/team-mention",
    "mail/emails/bounce",
    "mail/emails/attachment-too-large",
    "mail/emails/fresh-magic-link",
    "accounts/emails/invitation",
    "accounts/emails/password-reset",
    "support/emails/escalation",
]


def _context() -> dict[str, Any]:
    names = [
        "contact_name", "agency_name", "case_reference", "case_title", "author_name", "body_text",
        "original_subject", "reason", "inviter_name", "role_label", "who", "subject", "page_url",
        "user_name",
    ]  # fmt: skip
    context: dict[str, Any] = {name: HOSTILE for name in names}
    context.update(
        url="https://casedesk.test/x", conversation_url="https://casedesk.test/c", case_url="/c",
        settings_url="/s", attachments=[], files=["a.pdf"], limit="25 MB", days=7, body_html="",
        uses_magic_link=True, internal_only=False, email="bob@acme.test", uid="MQ", token="t-1",
        user={"get_short_name": HOSTILE},
    )  # fmt: skip
    return context


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_a_triplet_with_a_plain_one_line_subject(kind: str) -> None:
    for part in ("subject.txt", "body.txt", "body.html"):
        get_template(f"{kind}-{part}")  # all three exist
    rendered = render_email(kind, _context())
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert "&#x27;" not in rendered.subject and "&amp;" not in rendered.subject
    assert "&quot;" not in rendered.subject and "&lt;" not in rendered.subject
    assert "&#x27;" not in rendered.text and "&amp;" not in rendered.text and "&lt;" not in rendered.text
    # The HTML alternative is escaped: the hostile value never becomes markup.
    assert "<sale>" not in rendered.html


def test_a_title_with_an_apostrophe_stays_plain_in_the_subject(cast: Cast) -> None:
    cast.case_a.title = 'Mother\'s Day & <Spring> "sale"'
    email = build_email(
        "mail/emails/client-message",
        to=["carol@globex.test"],
        context={**_context(), "case_title": cast.case_a.title, "case_reference": "A-1"},
    )
    assert email.subject == '[A-1] Mother\'s Day & <Spring> "sale"'
    html = str(email.alternatives[0][0])  # type: ignore[index]
    assert "Mother&#x27;s Day &amp; &lt;Spring&gt; &quot;sale&quot;" in html


def test_notification_email_subject_for_an_apostrophe_title(cast: Cast, run_tasks: Callable[[], int]) -> None:
    cast.case_a.title = "Mother's Day"
    cast.case_a.save(update_fields=["title"])
    do_post_message(case=cast.case_a, body="Plans for the campaign", author_user=cast.bob)
    run_tasks()
    subjects = {m.subject for m in mail.outbox}
    assert subjects and all("Mother's Day" in s and "&#x27;" not in s for s in subjects)


def test_invitation_is_recorded_queued_and_sent_once(cast: Cast, run_tasks: Callable[[], int]) -> None:
    cast.agency_a.name = "O'Brien & Co"
    cast.agency_a.save(update_fields=["name"])
    invitation, token = do_invite_member(
        agency=cast.agency_a, actor=cast.alice, email="new@acme.test", role=Role.MEMBER
    )
    assert mail.outbox == []  # nothing is sent inside the action
    row = AccountEmail.objects.get(invitation=invitation)
    assert row.kind == AccountEmailKind.INVITATION and row.sent_at is None
    run_tasks()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "Alice Owner invited you to O'Brien & Co on casedesk"
    assert f"/accounts/invitation/{token}/" in str(sent.body)
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 1
    # A second delivery of the same task finds the record and sends nothing.
    send_account_email.call(row.pk)
    assert len(mail.outbox) == 1


def test_raw_link_tokens_are_not_stored(cast: Cast, run_tasks: Callable[[], int]) -> None:
    _, token = do_invite_member(agency=cast.agency_a, actor=cast.alice, email="x@acme.test", role=Role.MEMBER)
    row = AccountEmail.objects.get(kind=AccountEmailKind.INVITATION)
    stored = [str(v) for v in AccountEmail.objects.filter(pk=row.pk).values_list().get()]
    assert token not in stored


def test_an_invitation_revoked_before_the_task_runs_is_not_sent(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    invitation, _ = do_invite_member(
        agency=cast.agency_a, actor=cast.alice, email="late@acme.test", role=Role.MEMBER
    )
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
    run_tasks()
    assert mail.outbox == []
    row = AccountEmail.objects.get(invitation=invitation)
    assert row.sent_at is None and "no longer usable" in row.last_error


@pytest.mark.usefixtures("triage_stub")
def test_escalation_email_has_templates_a_record_per_member_and_sends_once(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    visitor = Visitor.objects.create(agency=cast.agency_a, name="Mother's Day <shop>", email="s@example.com")
    conversation = do_start_conversation(
        agency=cast.agency_a, visitor=visitor, page_url="http://testserver/s/"
    )
    do_request_escalation(conversation=conversation)
    run_tasks()
    rows = OutboundEmail.objects.filter(kind=EmailKind.SUPPORT_ESCALATION)
    sent = [m for m in mail.outbox if "support chat" in m.subject]
    assert len(sent) == rows.count() >= 2  # one email, and one record, per active team member
    assert all(len(m.to) == 1 for m in sent)
    assert {m.to[0] for m in sent} == set(rows.values_list("to_address", flat=True))
    assert all(r.sent_at is not None for r in rows)
    first = sent[0]
    assert first.subject.endswith("Mother's Day <shop> is waiting in the support chat")
    html = str(first.alternatives[0][0])  # type: ignore[attr-defined]
    assert "Mother&#x27;s Day &lt;shop&gt;" in html and "<shop>" not in html
    # Delivered again (the task is retried after the escalation was notified): nothing more.
    send_escalation_email.call(conversation.pk)
    assert len([m for m in mail.outbox if "support chat" in m.subject]) == len(sent)


def _calls(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            found.add(name)
    return found


def test_no_email_is_built_outside_the_one_builder() -> None:
    """EmailMessage/EmailMultiAlternatives/send_mail and email template rendering live only in
    casedesk/lib/emails.py. Aside: the chaos harness's test mail, the dev mailbox's backend and its
    simulated client reply (mail/views.py ``build_reply``, fed to inbound processing, never sent)."""
    allowed = {
        "lib/emails.py",
        "jobs/chaos.py",  # the chaos harness (casedesk/chaos/standin.py once it moves there)
        "chaos/standin.py",
        "mail/devmailbox.py",
        "mail/views.py",
    }
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if "migrations" in relative or relative in allowed:
            continue
        calls = _calls(ast.parse(path.read_text()))
        if calls & {"EmailMessage", "EmailMultiAlternatives", "send_mail", "send_mass_mail"}:
            offenders.append(relative)
        if "render_to_string" in calls and "emails/" in path.read_text():
            offenders.append(relative)
    assert offenders == []


def test_an_account_email_and_its_task_commit_or_roll_back_together(cast: Cast) -> None:
    def queued() -> int:
        return DBTaskResult.objects.filter(task_path=send_account_email.module_path).count()

    with pytest.raises(RuntimeError), transaction.atomic():
        do_invite_member(agency=cast.agency_a, actor=cast.alice, email="gone@acme.test", role=Role.MEMBER)
        assert queued() == 1  # enqueued inside the action's transaction
        raise RuntimeError("crash before commit")
    assert not AccountEmail.objects.exists()
    assert queued() == 0
