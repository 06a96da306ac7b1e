"""The triage engine: a pure function of (question, index) → an answer or an escalation.

``build_index(entries)`` learns, from each help entry's example questions, title and passages, a
linear one-vs-rest classifier (scikit-learn's ``LinearSVC``) over the chosen encoder's features.
``triage(question, index)`` then:

1. escalates at once on an explicit request for a person (``human.is_human_request``);
2. escalates if the help centre is empty;
3. picks the entry whose one-vs-rest score is highest and answers with that entry's best passage
   only if the score reaches the index's threshold; otherwise it escalates (low confidence).

A one-vs-rest score asks "is this question about *this* entry rather than any other?", which keeps
its scale roughly the same whether a help centre has 5 entries or 150; that is what lets one
calibrated default threshold per engine (``DEFAULT_THRESHOLDS``) ship with the product. The
default ``minilm`` engine's score is less steady across sizes, so a ``minilm`` help centre of 10
entries or more chooses its own threshold on its own entries when it is built (calibration.py).
How the defaults were chosen is in docs/triage.md.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.svm import LinearSVC

from casedesk.support.triage.calibration import Calibration, calibration_enabled
from casedesk.support.triage.calibration import calibrate as calibrate_threshold
from casedesk.support.triage.encoders import Encoder, Matrix, make_encoder
from casedesk.support.triage.finetune import FineTuneSettings
from casedesk.support.triage.head import centroid_scores, fit_centroid_head
from casedesk.support.triage.human import is_human_request
from casedesk.support.triage.multilingual import (
    MultilingualIndex,
    attach_multilingual,
    multilingual_enabled,
)
from casedesk.support.triage.switches import switched_on

ENGINES = ("minilm", "lexical", "embeddings", "combined")

# The product's escalation thresholds, one per engine, on the one-vs-rest score. Chosen by
# `casedesk eval-triage data_full.json --engine E` on CLINC150's val + oos_val splits only: the
# lowest score that escalates at least 80 % of oos_val (see docs/triage.md for the runs).
DEFAULT_THRESHOLDS: dict[str, float] = {
    # minilm (the default engine): score = cosine to the nearest entry centroid
    # + MINILM_LOG_PROB_WEIGHT · log p(best entry) (see MiniLM scoring below).
    # Used by help centres too small for a threshold of their own (< 10 articles), which learned the
    # background class before stop 25 too, so their scores did not move; kept where stop 24 put it.
    # Since stop 25 the 150-entry eval learns the background class as well and chooses 0.1009 for
    # its own run: as a default it would answer "How much notice do I need to cancel the
    # retainer?" from the demo's invoices article (docs/triage.md, "A background class in every
    # help centre").
    "minilm": 0.17,  # eval threshold 0.1680 in stop 24 (full data; 10-shot: -0.1887)
    # The same without the USE multilingual block (multilingual packages missing or turned off).
    "minilm-only": 0.24,  # val threshold 0.2402 in stop 24 (full data; 10-shot: -0.0979), test not read
    "lexical": -0.33,  # eval threshold -0.3292 (full data)
    "embeddings": -0.31,  # eval threshold -0.3072
    "combined": -0.32,  # eval threshold -0.3167
    # Encoder fine-tuned on the entries at build time (the embeddings engine's default); the score
    # is the cosine between the question and the nearest trained entry vector.
    "embeddings+fine-tuned": 0.35,  # eval threshold 0.3526 (full data; 10-shot: 0.3177)
}

# Regularisation of the linear classifier; picked on CLINC150 val (docs/triage.md).
CLASSIFIER_C = 1.0

# The minilm engine: a multinomial logistic regression on the frozen MiniLM rows picks the entry;
# the score is the cosine between the question and the nearest entry centroid (mean of the entry's
# unit rows, renormalised) plus this weight times the log-probability of the picked entry. The
# regression's C, the weight and the USE share were chosen on CLINC150 val + oos_val, and on
# same-domain pseudo-OOS made from train + val (a third of the intents held out as out of scope;
# docs/triage.md, "An English scorer over two encoders", and the grid widened in stop 24). A larger
# weight than the first 0.05 escalates more questions about a neighbouring topic the help centre
# does not cover.
MINILM_C = 10.0
MINILM_LOG_PROB_WEIGHT = 0.4
# When the multilingual packages are on, the minilm engine's rows are MiniLM beside USE
# multilingual (``MiniLMWithUSEEncoder``); this is the USE block's share of the row.
MINILM_USE_SHARE = 0.2

# A score means "this entry rather than anything else"; in a small help centre there is little
# "else" to learn from, and every question looks like one of the few entries. These generic,
# off-topic lines stand in for "anything else" as an extra class that is never answered (the
# background class). The minilm engine learns it in every help centre: on CLINC150 val it raised
# in-scope accuracy at 80 % OOS recall from 96.0 to 96.3 % with its 150 entries, and moved
# same-domain questions by a tenth of a point (docs/triage.md, "A background class in every help
# centre").
# The one-vs-rest engines learn it below MIN_ENTRIES_WITHOUT_BACKGROUND entries only, as their
# thresholds were chosen that way. ``build_index(out_of_scope=...)`` adds more such lines.
BACKGROUND_QUESTIONS = (
    "what is the weather like today", "will it rain tomorrow", "tell me a joke",
    "who won the football game last night", "what is the capital of australia",
    "how many calories are in an apple", "recommend a good movie to watch", "what time is it in tokyo",
    "how do I cook rice", "translate hello into japanese", "what is the meaning of life",
    "play some music", "how tall is mount everest", "set an alarm for seven",
    "what's a good name for a dog", "how far away is the moon", "who wrote hamlet", "hello", "hi there",
    "thanks, bye", "good morning", "how are you today", "what's your favourite colour",
    "where is the nearest restaurant", "book a table for two tonight", "find me a flight to rome",
    "how long should I boil an egg", "what is two plus two", "convert ten miles to kilometres",
    "who is the president of france", "when was the eiffel tower built", "what's the score of the game",
    "how do I get rid of hiccups", "suggest a recipe for dinner", "what's on tv tonight",
    "is it going to snow this weekend", "what is the population of brazil", "how old is the universe",
    "what should I name my cat", "give me a fun fact", "what is the speed of light",
    "what's the best pizza topping", "how do I tie a tie", "recommend a book to read",
    "what day is it today", "how many ounces in a cup", "who painted the mona lisa",
    "what is the tallest building in the world", "sing me a song", "flip a coin",
    "roll a dice", "what's the traffic like on my commute", "how do I change a flat tyre",
    "what is photosynthesis", "spell necessary", "what rhymes with orange", "tell me a story",
    "are you a robot", "what can you do", "i'm bored",
)  # fmt: skip
MIN_ENTRIES_WITHOUT_BACKGROUND = 30


def learns_background(engine: str, entries: int) -> bool:
    """Whether an index of ``entries`` entries learns the ``BACKGROUND_QUESTIONS`` class."""
    return engine == "minilm" or entries < MIN_ENTRIES_WITHOUT_BACKGROUND


class EscalationReason(enum.StrEnum):
    LOW_CONFIDENCE = "low_confidence"
    HUMAN_REQUESTED = "human_requested"
    EMPTY_HELP_CENTRE = "empty_help_centre"


@dataclass(frozen=True)
class HelpEntry:
    """One thing the help centre can answer: an article (or, in the eval, one intent label)."""

    key: str
    title: str
    passages: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    url: str = ""


@dataclass(frozen=True)
class TriageAnswer:
    entry_key: str
    title: str
    passage: str
    score: float
    url: str


@dataclass(frozen=True)
class TriageEscalation:
    reason: EscalationReason
    detail: str = ""


@dataclass
class TriageIndex:
    """What ``build_index`` returns; treat it as opaque and immutable once built."""

    entries: list[HelpEntry]
    engine: str
    threshold: float
    encoder: Encoder | None = None
    classifier: LinearSVC | None = None
    # The classifier's weights as a C-ordered (features × classes) array: ``decision_function``
    # would copy the transposed coefficients on every call (~25 ms for 150 entries).
    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    intercept: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # classifier class number → entry position; -1 for the background class.
    class_entry: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    # per entry: (passage texts, their feature rows)
    passages: list[tuple[list[str], Matrix]] = field(default_factory=list)
    # Fine-tuned encoder only: the unit entry vectors it was trained against, one row per class
    # (``class_entry`` order). They are the classifier: score = cosine to the nearest entry vector.
    class_vectors: np.ndarray | None = None
    # minilm only: unit entry centroids as a (features × classes) array; the background class's
    # column is zero and never counts (``centroid_mask``).
    centroids: np.ndarray | None = None
    centroid_mask: np.ndarray | None = None
    # minilm only: the cross-lingual scorer for questions not in English (multilingual.py).
    multilingual: MultilingualIndex | None = None
    # minilm only: how ``threshold`` was chosen on the help centre's own entries (None: the
    # shipped default, for a help centre too small to calibrate, or a threshold given to build_index).
    calibration: Calibration | None = None
    build_seconds: float = 0.0

    @property
    def is_empty(self) -> bool:
        return not self.entries

    def score(self, questions: Sequence[str]) -> tuple[np.ndarray, np.ndarray, Matrix]:
        """Best entry position (-1 = none) and its score for each question, plus their features."""
        if self.is_empty or self.encoder is None:
            return np.full(len(questions), -1), np.full(len(questions), -np.inf), None
        features = self.encoder.transform(list(questions))
        if self.classifier is None and self.class_vectors is None and self.centroids is None:  # kept total
            return np.zeros(len(questions), dtype=int), np.zeros(len(questions)), features
        decision = features @ self.weights
        decision = (
            np.asarray(decision.toarray() if hasattr(decision, "toarray") else decision) + self.intercept
        )
        if self.centroids is not None and self.centroid_mask is not None:
            return self._score_minilm(decision, features)
        if decision.shape[1] == 1:  # binary LinearSVC: one column for class 1
            decision = np.column_stack([-decision[:, 0], decision[:, 0]])
        best_class = decision.argmax(axis=1)
        scores = decision[np.arange(len(questions)), best_class]
        entry_positions = self.class_entry[best_class]
        scores = np.where(entry_positions < 0, -np.inf, scores)
        return entry_positions, scores, features

    def _score_minilm(
        self, logits: np.ndarray, features: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, Matrix]:
        """Entry from the logistic regression; score = nearest-centroid cosine + w · log p(entry)."""
        assert self.centroids is not None and self.centroid_mask is not None
        entry_positions, scores = centroid_scores(
            logits, features, self.centroids, self.centroid_mask, self.class_entry, MINILM_LOG_PROB_WEIGHT
        )
        return entry_positions, scores, features

    def best_passage(self, entry_position: int, question_features: Matrix) -> str:
        texts, matrix = self.passages[entry_position]
        if not texts:
            return self.entries[entry_position].title
        if len(texts) == 1 or matrix is None:
            return texts[0]
        similarity = np.asarray(_dot(matrix, question_features)).ravel()
        return texts[int(similarity.argmax())]


def _dot(rows: Matrix, question: Matrix) -> Any:
    product = rows @ question.T
    return product.toarray() if hasattr(product, "toarray") else product


def entry_documents(entry: HelpEntry) -> list[str]:
    """The texts an entry is learned from: its example questions, its title, its passages."""
    return [text for text in (*entry.examples, entry.title, *entry.passages) if text.strip()]


def fine_tune_default() -> FineTuneSettings | None:
    """Fine-tune the encoder at build time unless ``TRIAGE_FINE_TUNE`` (env
    ``CASEDESK_TRIAGE_FINE_TUNE``) says 0/false/no/off. Only the embedding engines use it."""
    return FineTuneSettings() if switched_on("TRIAGE_FINE_TUNE", "CASEDESK_TRIAGE_FINE_TUNE") else None


def build_index(
    entries: Sequence[HelpEntry],
    engine: str = "lexical",
    *,
    threshold: float | None = None,
    model_path: Path | str | None = None,
    progress: Callable[[int], None] | None = None,
    fine_tune: FineTuneSettings | bool | None = True,
    out_of_scope: Sequence[str] = (),
) -> TriageIndex:
    """Learn an index from help entries. Raises ``EmbeddingsUnavailable`` if the extra is missing.

    ``fine_tune``: ``True`` follows the product setting (``fine_tune_default()``), ``False`` or
    ``None`` uses the stock encoder, or pass explicit ``FineTuneSettings``. Lexical ignores it.
    ``out_of_scope``: example questions this help centre must never answer, learned beside the
    ``BACKGROUND_QUESTIONS`` as the class that is never answered (eval-triage passes a data set's
    ``oos_train``).
    """
    if engine not in ENGINES:
        raise ValueError(f"Unknown triage engine {engine!r}: use one of {', '.join(ENGINES)}.")
    started = time.perf_counter()
    entries = [entry for entry in entries if entry_documents(entry)]
    tuning: FineTuneSettings | None = None
    if engine == "embeddings":
        if fine_tune is True:
            tuning = fine_tune_default()
        elif isinstance(fine_tune, FineTuneSettings):
            tuning = fine_tune
    variant = f"{engine}+fine-tuned" if tuning is not None else engine
    chosen = DEFAULT_THRESHOLDS[variant] if threshold is None else threshold
    if not entries:
        return TriageIndex(entries=[], engine=engine, threshold=chosen)

    texts: list[str] = []
    labels: list[int] = []
    for position, entry in enumerate(entries):
        documents = entry_documents(entry)
        texts.extend(documents)
        labels.extend([position] * len(documents))
    extra = [text for text in out_of_scope if text.strip()]
    background = [*(BACKGROUND_QUESTIONS if learns_background(engine, len(entries)) else ()), *extra]
    texts.extend(background)
    labels.extend([-1] * len(background))

    if engine == "minilm":
        with_use = multilingual_enabled()
        if threshold is None and not with_use:
            chosen = DEFAULT_THRESHOLDS["minilm-only"]
        index, use_rows = _build_minilm(
            entries,
            texts,
            labels,
            chosen,
            model_path,
            progress,
            started,
            with_use=with_use,
            calibrate=threshold is None and calibration_enabled(),
            extra_background=extra,
        )
        return attach_multilingual(index, texts, labels, started, use_rows=use_rows)

    encoder = make_encoder(engine, model_path, tuning)
    label_array = np.asarray(labels)
    classes = np.unique(label_array)  # sorted, background (-1) first, as LinearSVC's classes_
    encoder.fit(texts, progress, labels=np.searchsorted(classes, label_array).tolist())
    class_vectors: np.ndarray | None = getattr(encoder, "class_vectors", None)
    classifier: LinearSVC | None = None
    if class_vectors is not None:
        # The fine-tuned encoder's entry vectors are the classifier: cosine, no intercept.
        weights, intercept = np.ascontiguousarray(class_vectors.T), np.zeros(len(classes))
    else:
        classifier = LinearSVC(C=CLASSIFIER_C)
        classifier.fit(encoder.transform(texts, progress), label_array)
        weights, intercept = np.ascontiguousarray(classifier.coef_.T), np.asarray(classifier.intercept_)
        classes = np.asarray(classifier.classes_)

    passages: list[tuple[list[str], Matrix]] = []
    for entry in entries:
        chunks = [passage for passage in entry.passages if passage.strip()]
        passages.append((chunks, encoder.transform(chunks) if len(chunks) > 1 else None))

    return TriageIndex(
        entries=list(entries),
        engine=engine,
        threshold=chosen,
        encoder=encoder,
        classifier=classifier,
        weights=weights,
        intercept=intercept,
        class_entry=np.asarray(classes, dtype=int),
        passages=passages,
        class_vectors=class_vectors,
        build_seconds=time.perf_counter() - started,
    )


def _build_minilm(
    entries: list[HelpEntry],
    texts: list[str],
    labels: list[int],
    threshold: float,
    model_path: Path | str | None,
    progress: Callable[[int], None] | None,
    started: float,
    *,
    with_use: bool,
    calibrate: bool = True,
    extra_background: Sequence[str] = (),
) -> tuple[TriageIndex, np.ndarray | None]:
    """The minilm index: frozen encoder rows, a logistic regression, unit entry centroids.

    Each text is encoded once (the passages' rows, for the snippet, are reused), through a
    per-process cache, so a rebuild after an edit encodes only the changed texts; the background
    lines are encoded once per process. ``with_use``: put the USE multilingual rows beside the
    MiniLM ones (``MiniLMWithUSEEncoder``); they are returned too, for the side index.
    ``calibrate``: replace ``threshold`` by the help centre's own (``calibration.calibrate``), when
    it is large enough; the caller passes False when it gave a threshold of its own.
    ``texts`` end with the background lines: ``BACKGROUND_QUESTIONS``, then ``extra_background``.
    """
    from casedesk.support.triage.encoders import MiniLMEncoder, MiniLMWithUSEEncoder

    minilm = MiniLMEncoder(model_path)
    own = [position for position, label in enumerate(labels) if label >= 0]
    rows = np.zeros((len(texts), minilm.width), dtype=np.float32)
    rows[own] = minilm.transform_for_build([texts[position] for position in own], progress)
    background = [position for position, label in enumerate(labels) if label < 0]
    if background:
        generic = minilm.transform_cached(BACKGROUND_QUESTIONS)
        extra = minilm.transform_for_build(extra_background) if extra_background else generic[:0]
        rows[background] = np.vstack([generic, extra])
    encoder: MiniLMEncoder | MiniLMWithUSEEncoder = minilm
    use_rows: np.ndarray | None = None
    if with_use:
        from casedesk.support.triage.multilingual import encode

        encoder = MiniLMWithUSEEncoder(minilm, MINILM_USE_SHARE)
        use_rows = encode(texts)
        rows = encoder.combine(rows, use_rows)
    label_array = np.asarray(labels)
    weights, intercept, centroids, classes = fit_centroid_head(rows, label_array, MINILM_C)

    passages: list[tuple[list[str], Matrix]] = []
    questions = np.zeros(len(texts), dtype=bool)  # each entry's example questions (title if none)
    offset = 0
    for entry in entries:
        documents = entry_documents(entry)
        chunks = [passage for passage in entry.passages if passage.strip()]
        # entry_documents lists examples, title, passages: the passages are its last rows.
        passage_rows = rows[offset + len(documents) - len(chunks) : offset + len(documents)]
        passages.append((chunks, passage_rows if len(chunks) > 1 else None))
        asked = sum(1 for example in entry.examples if example.strip()) or int(bool(entry.title.strip()))
        questions[offset : offset + asked] = True
        offset += len(documents)

    calibration = None
    if calibrate:
        calibration = calibrate_threshold(rows, label_array, questions, _minilm_head_fitter)
        if calibration is not None:
            threshold = calibration.threshold

    return TriageIndex(
        entries=list(entries),
        engine="minilm",
        threshold=threshold,
        encoder=encoder,
        weights=weights,
        intercept=intercept,
        class_entry=np.asarray(classes, dtype=int),
        passages=passages,
        centroids=centroids,
        centroid_mask=np.asarray(classes >= 0),
        calibration=calibration,
        build_seconds=time.perf_counter() - started,
    ), use_rows


def _minilm_head_fitter(rows: np.ndarray, labels: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """For the calibration folds: the same head, learned on part of the rows."""
    weights, intercept, centroids, classes = fit_centroid_head(rows, labels, MINILM_C)

    def scores(questions: np.ndarray) -> np.ndarray:
        logits = questions @ weights + intercept
        mask = np.asarray(classes >= 0)
        return centroid_scores(logits, questions, centroids, mask, classes, MINILM_LOG_PROB_WEIGHT)[1]

    return scores


def triage(question: str, index: TriageIndex) -> TriageAnswer | TriageEscalation:
    """Answer from the help centre, or escalate with a reason. Never raises on odd input."""
    if is_human_request(question):
        return TriageEscalation(EscalationReason.HUMAN_REQUESTED, "The visitor asked for a person.")
    if index.is_empty:
        return TriageEscalation(EscalationReason.EMPTY_HELP_CENTRE, "The help centre has no articles yet.")
    if not question.strip():
        return TriageEscalation(EscalationReason.LOW_CONFIDENCE, "The question is empty.")
    # A question not in English goes to the cross-lingual scorer when the index has one.
    side = index.multilingual
    if side is not None and not side.handles(question):
        side = None
    rows: np.ndarray | None = None
    features: Matrix = None
    if side is not None:
        positions, scores, rows = side.score([question])
        threshold = side.threshold
    else:
        positions, scores, features = index.score([question])
        threshold = index.threshold
    position, score = int(positions[0]), float(scores[0])
    if position < 0 or score < threshold:
        shown = "none" if position < 0 else f"{score:.3f}"
        return TriageEscalation(
            EscalationReason.LOW_CONFIDENCE,
            f"No help entry matched well enough (best score {shown}, threshold {threshold:.3f}).",
        )
    entry = index.entries[position]
    if side is not None and rows is not None:
        texts = index.passages[position][0]
        passage = texts[side.passage_number(position, rows[0])] if texts else entry.title
    else:
        passage = index.best_passage(position, features[0:1])
    return TriageAnswer(entry_key=entry.key, title=entry.title, passage=passage, score=score, url=entry.url)
