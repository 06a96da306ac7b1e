"""Gibberish, placeholder text and repeats: the assistant asks once before a person gets them
(casedesk/support/unclear.py, actions.do_post_visitor_message)."""

from __future__ import annotations

import pytest

from casedesk.support import actions
from casedesk.support.models import ConversationState, Escalation, MessageKind
from casedesk.support.unclear import KEYBOARD, NO_WORDS, PLACEHOLDER, REPEAT, unclear_reason
from tests.conftest import Cast
from tests.support_helpers import triage_stub  # noqa: F401  (fixture)

CLEAR = [
    # short real questions, many languages
    "refund?", "2FA", "SSO", "CSV export", "API key", "help", "hi", "ok", "pricing", "invoice #4521",
    "12345", "Passwort vergessen", "¿factura?", "mot de passe oublié", "come cambio la password",
    "wachtwoord vergeten", "esqueci a senha", "как сбросить пароль", "パスワードを忘れました",
    "忘记密码", "비밀번호를 잊어버렸어요", "rhythm of invoices", "strč prst skrz krk", "test my webhook",
    "how do I test the widget?", "DKIM SPF", "hmm, billing", "Zahlung fehlgeschlagen", "sync CRM",
    # requests for a person always go through (triage/human.py hands them over)
    "talk to a human", "agent!", "human please", "real person", "parler à un conseiller",
    "mit einem Menschen sprechen", "hablar con una persona", "оператор",
]  # fmt: skip

UNCLEAR = [
    ("???", NO_WORDS), ("...", NO_WORDS), ("!!!!", NO_WORDS), ("😀😀", NO_WORDS),
    ("lorem ipsum", PLACEHOLDER), ("Lorem ipsum dolor sit amet, consectetur", PLACEHOLDER),
    ("asdf", PLACEHOLDER), ("asdfasdf", PLACEHOLDER), ("qwerty", PLACEHOLDER), ("test", PLACEHOLDER),
    ("test test 123", PLACEHOLDER), ("Testing!", PLACEHOLDER), ("blah blah", PLACEHOLDER),
    ("sdfghjkl", KEYBOARD), ("hjkhjkhjk", KEYBOARD), ("aaaaaaa", KEYBOARD), ("xcvbnm zxcvbn", KEYBOARD),
    ("bnmbnmbnm", KEYBOARD),
]  # fmt: skip


@pytest.mark.parametrize("text", CLEAR)
def test_real_questions_are_not_flagged(text: str) -> None:
    assert unclear_reason(text) is None


@pytest.mark.parametrize(("text", "reason"), UNCLEAR)
def test_unclear_lines_are_flagged(text: str, reason: str) -> None:
    assert unclear_reason(text) == reason


def test_the_same_question_again_is_a_repeat_but_a_new_one_is_not() -> None:
    assert unclear_reason("How do I reset my password?", "how do i reset my password") == REPEAT
    assert unclear_reason("Where is my invoice?", "how do i reset my password") is None


@pytest.mark.django_db
@pytest.mark.usefixtures("triage_stub")
def test_lorem_ipsum_gets_one_question_back_then_a_person(cast: Cast) -> None:
    conversation = actions.do_start_conversation(agency=cast.agency_a, page_url="http://testserver/s/acme/")
    first = actions.do_post_visitor_message(conversation=conversation, body="lorem ipsum")
    assert [line.kind for line in first] == [MessageKind.VISITOR, MessageKind.BOT_NOTICE]
    assert first[1].body.startswith("I didn't quite catch that.")
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.BOT
    assert not Escalation.objects.filter(conversation=conversation).exists()
    # Unclear a second time: handed over as before (the stub escalates what it cannot answer).
    actions.do_post_visitor_message(conversation=conversation, body="asdf")
    conversation.refresh_from_db()
    assert Escalation.objects.filter(conversation=conversation).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("triage_stub")
def test_a_request_for_a_person_is_handed_over_at_once(cast: Cast) -> None:
    conversation = actions.do_start_conversation(agency=cast.agency_a, page_url="http://testserver/s/acme/")
    actions.do_post_visitor_message(conversation=conversation, body="talk to a human")
    assert Escalation.objects.filter(conversation=conversation).exists()
