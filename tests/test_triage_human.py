"""Explicit requests for a person escalate at once, in many languages; help questions do not."""

from __future__ import annotations

import pytest

from casedesk.support.triage import EscalationReason, HelpEntry, TriageEscalation, build_index, triage
from casedesk.support.triage.human import is_human_request

ASKS_FOR_A_PERSON = [
    ("en", "I want to talk to a human"),
    ("en", "Can I speak with a real person?"),
    ("en", "agent!"),
    ("en", "Human please"),
    ("en", "transfer me to a human"),
    ("en", "connect me with customer service"),
    ("en", "are you a bot? is there a real person there?"),
    ("fr", "Je voudrais parler à un humain"),
    ("fr", "Puis-je parler avec un conseiller ?"),
    ("fr", "une vraie personne svp"),
    ("de", "Ich möchte mit einem Menschen sprechen"),
    ("de", "Bitte einen echten Mitarbeiter"),
    ("es", "Quiero hablar con una persona"),
    ("es", "necesito un humano"),
    ("it", "Vorrei parlare con un operatore"),
    ("it", "posso parlare con una persona reale?"),
    ("pt", "Quero falar com um atendente"),
    ("pt", "preciso de uma pessoa real"),
    ("nl", "Ik wil met een medewerker spreken"),
    ("nl", "Kan ik met iemand praten?"),
    ("sv", "Jag vill prata med en människa"),
    ("da", "Jeg vil gerne tale med et menneske"),
    ("no", "Kan jeg snakke med et menneske?"),
    ("pl", "Chcę rozmawiać z konsultantem"),
    ("pl", "Proszę o kontakt z prawdziwą osobą"),
    ("ru", "Хочу поговорить с оператором"),
    ("ru", "оператор"),
    ("ru", "нужен живой человек"),
    ("cs", "Chci mluvit s člověkem"),
    ("tr", "Müşteri temsilcisi ile görüşmek istiyorum"),
]

HELP_QUESTIONS = [
    "How do I add an agent to my team?",
    "What is a user agent?",
    "How do I change my travel agent?",
    "Who is the agent on my case?",
    "Can agents see internal notes?",
    "What does the human resources template contain?",
    "How do I invite a person to a case?",
    "transfer money to my savings account",
    "put me on the newsletter",
    "quiero hablar con el banco",
    "Comment ajouter un agent à mon équipe ?",
    "Wie lade ich einen Mitarbeiter ein?",
    "is there a limit on uploads?",
]


@pytest.mark.parametrize(("language", "question"), ASKS_FOR_A_PERSON)
def test_request_for_a_person_is_detected(language: str, question: str) -> None:
    assert is_human_request(question), f"{language}: {question!r} should ask for a person"


@pytest.mark.parametrize("question", HELP_QUESTIONS)
def test_help_question_mentioning_people_is_not_a_request(question: str) -> None:
    assert not is_human_request(question)


def test_request_for_a_person_escalates_even_when_the_help_centre_could_answer() -> None:
    entry = HelpEntry(
        key="agents",
        title="Talking to an agent",
        passages=["Our agents answer within a day."],
        examples=["I want to talk to a human", "speak to an agent"],
    )
    outcome = triage("I want to talk to a human", build_index([entry]))
    assert isinstance(outcome, TriageEscalation)
    assert outcome.reason is EscalationReason.HUMAN_REQUESTED


def test_request_for_a_person_escalates_on_an_empty_help_centre_with_that_reason() -> None:
    outcome = triage("Je voudrais parler à un humain", build_index([]))
    assert isinstance(outcome, TriageEscalation)
    assert outcome.reason is EscalationReason.HUMAN_REQUESTED
