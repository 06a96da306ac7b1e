"""``casedesk eval-triage``: measure the engine on a data set in the CLINC150 JSON format.

CLINC150 (Larson et al., 2019) has keys ``train``, ``val``, ``test``, ``oos_train``, ``oos_val``,
``oos_test``, each a list of ``[text, label]``. One help entry is built per in-scope label from
``train`` (or K examples of it); the escalation threshold is chosen on ``val`` + ``oos_val`` only;
the figures are measured on ``test`` + ``oos_test``, one question at a time, through ``triage()``.
``oos_train`` (optional in the file) is used only when asked (``use_oos_train``, ``--oos-train``):
its questions then join the product's ``BACKGROUND_QUESTIONS`` as the class that is never answered
(``build_index(out_of_scope=...)``). Off by default: CLINC150's oos_train and oos_val come from one
collection, so learning the first makes the second an optimistic place to choose the threshold
(docs/triage.md, "oos_train as never answered: tried, not taken").
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from casedesk.support.triage.calibration import lowest_threshold_escalating
from casedesk.support.triage.engine import (
    HelpEntry,
    TriageAnswer,
    TriageIndex,
    build_index,
    fine_tune_default,
    triage,
)
from casedesk.support.triage.human import is_human_request

SPLITS = ("train", "val", "test", "oos_val", "oos_test")
# The goal's OOS recall: the threshold is the lowest val score that escalates this share of oos_val.
TARGET_OOS_RECALL = 0.80

Pairs = list[tuple[str, str]]


class DatasetError(ValueError):
    pass


@dataclass(frozen=True)
class Dataset:
    train: Pairs
    val: Pairs
    test: Pairs
    oos_val: Pairs
    oos_test: Pairs
    oos_train: Pairs = field(default_factory=list)  # optional in the file


def load_dataset(path: Path) -> Dataset:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise DatasetError(f"{path} does not exist; give the path of a CLINC150-format JSON file.") from error
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path} is not valid JSON ({error}).") from error
    if not isinstance(raw, dict):
        raise DatasetError(f"{path} must hold a JSON object with the keys {', '.join(SPLITS)}.")
    missing = [split for split in SPLITS if split not in raw]
    if missing:
        raise DatasetError(f"{path} lacks the key(s) {', '.join(missing)}; a CLINC150-format file has them.")
    splits: dict[str, Pairs] = {}
    for split in (*SPLITS, "oos_train"):
        if split not in raw:  # only oos_train may be missing (checked above)
            continue
        rows = raw[split]
        if not isinstance(rows, list) or not all(
            isinstance(row, list | tuple) and len(row) == 2 for row in rows
        ):
            raise DatasetError(f"{path}: '{split}' must be a list of [text, label] pairs.")
        splits[split] = [(str(text), str(label)) for text, label in rows]
    if not splits["train"]:
        raise DatasetError(f"{path}: 'train' is empty, so there is nothing to build help entries from.")
    return Dataset(**splits)


def build_entries(train: Pairs, shots: int | None, seed: int) -> list[HelpEntry]:
    """One entry per label; with ``shots``, K examples per label drawn with ``seed``."""
    by_label: dict[str, list[str]] = {}
    for text, label in train:
        by_label.setdefault(label, []).append(text)
    rng = random.Random(seed)
    entries = []
    for label in sorted(by_label):
        examples = by_label[label]
        if shots:
            examples = rng.sample(examples, min(shots, len(examples)))
        title = label.replace("_", " ")
        entries.append(HelpEntry(key=label, title=title, passages=[], examples=examples, url=""))
    return entries


def out_of_scope_examples(data: Dataset, use_oos_train: bool) -> list[str]:
    """The data set's ``oos_train`` questions when asked for: examples of what it never answers."""
    return [text for text, _ in data.oos_train] if use_oos_train else []


def choose_threshold(oos_scores: np.ndarray, target_recall: float = TARGET_OOS_RECALL) -> float:
    """The lowest threshold that escalates ``target_recall`` of the out-of-scope val questions
    (``calibration.lowest_threshold_escalating``: the same rule a help centre's own threshold uses)."""
    return lowest_threshold_escalating(oos_scores, target_recall)


def score_split(index: TriageIndex, questions: list[str], batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Entry keys and scores for many questions at once (used on val; same maths as ``triage``)."""
    keys: list[str] = []
    scores: list[float] = []
    for start in range(0, len(questions), batch):
        chunk = questions[start : start + batch]
        positions, chunk_scores, _ = index.score(chunk)
        for question, position, score in zip(chunk, positions, chunk_scores, strict=True):
            human = is_human_request(question)
            keys.append("" if position < 0 else index.entries[int(position)].key)
            scores.append(-np.inf if human else float(score))
    return np.asarray(keys), np.asarray(scores)


def metrics(
    in_keys: np.ndarray,
    in_scores: np.ndarray,
    in_labels: np.ndarray,
    oos_scores: np.ndarray,
    threshold: float,
) -> dict[str, float]:
    in_answered = in_scores >= threshold
    oos_answered = oos_scores >= threshold
    correct = in_answered & (in_keys == in_labels)
    answered = int(in_answered.sum() + oos_answered.sum())
    escalated = int((~in_answered).sum() + (~oos_answered).sum())
    return {
        "in_scope_accuracy": float(correct.mean()) if len(in_keys) else 0.0,
        "oos_recall": float((~oos_answered).mean()) if len(oos_scores) else 0.0,
        "oos_precision": float((~oos_answered).sum() / escalated) if escalated else 0.0,
        "answered_precision": float(correct.sum() / answered) if answered else 0.0,
        "coverage": float(answered / (len(in_keys) + len(oos_scores)))
        if len(in_keys) + len(oos_scores)
        else 0.0,
    }


def separation(in_scores: np.ndarray, oos_scores: np.ndarray) -> dict[str, float]:
    """How well the score alone separates in-scope (positive) from out-of-scope questions.

    ``auroc``: area under the ROC curve (ties count half); ``fpr_at_95_tpr``: the share of
    out-of-scope questions that score at or above the threshold that keeps 95 % of the in-scope
    ones. A question escalated before scoring (a request for a person) scores lowest.
    """
    if not len(in_scores) or not len(oos_scores):
        return {"auroc": 0.0, "fpr_at_95_tpr": 0.0}
    every = np.r_[in_scores, oos_scores]
    lowest = float(every[np.isfinite(every)].min(initial=0.0)) - 1.0
    positive = np.where(np.isfinite(in_scores), in_scores, lowest)
    negative = np.where(np.isfinite(oos_scores), oos_scores, lowest)
    scores = np.r_[positive, negative]
    ranks = _average_ranks(scores)
    positive_ranks = ranks[: len(positive)].sum()
    auroc = (positive_ranks - len(positive) * (len(positive) + 1) / 2) / (len(positive) * len(negative))
    cut = float(np.quantile(positive, 0.05, method="lower"))
    return {"auroc": float(auroc), "fpr_at_95_tpr": float((negative >= cut).mean())}


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank (as the Mann–Whitney U statistic needs)."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def precision_coverage_plot(
    path: Path,
    in_correct: np.ndarray,
    in_scores: np.ndarray,
    oos_scores: np.ndarray,
    threshold: float,
    title: str,
) -> None:
    """Answered precision against coverage as the threshold sweeps, the chosen point marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = np.concatenate([in_scores, oos_scores])
    right = np.concatenate([in_correct, np.zeros(len(oos_scores), dtype=bool)])
    finite = np.isfinite(scores)
    order = np.argsort(-scores[finite], kind="stable")
    right_sorted = right[finite][order]
    answered = np.arange(1, len(right_sorted) + 1)
    coverage = answered / len(scores)
    precision = np.cumsum(right_sorted) / answered
    chosen = scores >= threshold
    chosen_coverage = chosen.mean()
    chosen_precision = right[chosen].mean() if chosen.any() else 1.0

    figure, axes = plt.subplots(figsize=(6, 4.5), dpi=110)
    axes.plot(coverage, precision, label="test + oos_test")
    axes.scatter(
        [chosen_coverage], [chosen_precision], color="red", zorder=3, label=f"threshold {threshold:.3f}"
    )
    axes.set_xlabel("coverage (share of questions answered)")
    axes.set_ylabel("answered precision")
    axes.set_ylim(max(0.0, float(precision.min()) - 0.02) if len(precision) else 0.0, 1.005)
    axes.set_xlim(0, 1)
    axes.grid(alpha=0.3)
    axes.set_title(title, fontsize=10)
    axes.legend(loc="lower left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def run_eval(
    path: Path,
    *,
    engine: str = "lexical",
    shots: int | None = None,
    seed: int = 0,
    out_dir: Path = Path("var/eval"),
    target_recall: float = TARGET_OOS_RECALL,
    progress_factory: Callable[..., Any] | None = None,
    fine_tune: bool = True,
    use_oos_train: bool = False,
) -> dict[str, Any]:
    """Run the evaluation and return the report (also written as JSON next to the plot)."""
    data = load_dataset(path)
    entries = build_entries(data.train, shots, seed)
    out_of_scope = out_of_scope_examples(data, use_oos_train)
    bar = progress_factory or _no_progress
    documents = sum(len(entry.examples) + 1 for entry in entries)

    # Fine-tuning reports each training batch too, so the total is only known for the stock encoders.
    tuned = fine_tune and engine == "embeddings" and fine_tune_default() is not None
    with bar(total=None if tuned else documents, desc=f"build {engine}", unit="text") as build_bar:
        started = time.perf_counter()
        index = build_index(
            entries, engine=engine, progress=build_bar.update, fine_tune=fine_tune, out_of_scope=out_of_scope
        )
        build_seconds = time.perf_counter() - started

    val_questions = [text for text, _ in data.val] + [text for text, _ in data.oos_val]
    with bar(total=1, desc="score val", unit="split") as val_bar:
        val_keys, val_scores = score_split(index, val_questions)
        val_bar.update(1)
    n_val = len(data.val)
    threshold = choose_threshold(val_scores[n_val:], target_recall)
    val_labels = np.asarray([label for _, label in data.val])
    val_figures = metrics(val_keys[:n_val], val_scores[:n_val], val_labels, val_scores[n_val:], threshold)
    val_figures.update(separation(val_scores[:n_val], val_scores[n_val:]))
    own = index.calibration  # the help centre's own threshold (minilm; None: the shipped default)
    own_threshold = index.threshold
    own_val = metrics(val_keys[:n_val], val_scores[:n_val], val_labels, val_scores[n_val:], own_threshold)
    index.threshold = threshold

    # Test: one question at a time through triage(), timed, single-threaded.
    test_questions = [(text, label) for text, label in data.test] + [(text, "") for text, _ in data.oos_test]
    keys, scores, latencies = [], [], []
    for text, _ in bar(test_questions, desc="test", unit="q"):
        started = time.perf_counter()
        outcome = triage(text, index)
        latencies.append((time.perf_counter() - started) * 1000)
        if isinstance(outcome, TriageAnswer):
            keys.append(outcome.entry_key)
            scores.append(outcome.score)
        else:
            keys.append("")
            scores.append(-np.inf)
    # The plot sweeps the threshold, so it needs every question's score, escalated ones too.
    sweep_keys, sweep_scores = score_split(index, [text for text, _ in test_questions])
    n_test = len(data.test)
    test_keys = np.asarray(keys)
    test_scores = np.asarray(scores)
    test_labels = np.asarray([label for _, label in data.test])
    figures = metrics(test_keys[:n_test], test_scores[:n_test], test_labels, test_scores[n_test:], threshold)
    figures.update(separation(sweep_scores[:n_test], sweep_scores[n_test:]))
    # What the product would do with no val set: the index's own threshold (from held-out entries,
    # calibration.py), on the same scores (the English scorer's, for every question).
    own_test = metrics(
        sweep_keys[:n_test], sweep_scores[:n_test], test_labels, sweep_scores[n_test:], own_threshold
    )

    setting = f"shots{shots}" if shots else "full"
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"triage-{Path(path).stem}-{engine}-{setting}"
    plot_path = out_dir / f"{stem}.png"
    precision_coverage_plot(
        plot_path,
        sweep_keys[:n_test] == test_labels,
        sweep_scores[:n_test],
        sweep_scores[n_test:],
        threshold,
        f"{Path(path).name}: {engine}, {setting}",
    )
    report = {
        "dataset": str(path),
        "engine": engine,
        "fine_tuned": index.class_vectors is not None,
        # minilm: the USE multilingual block's share of each row (None: MiniLM rows only).
        "use_share": getattr(index.encoder, "use_share", None),
        "shots": shots,
        "seed": seed,
        "entries": len(entries),
        # The data set's oos_train questions learned as never answered (0 unless --oos-train).
        "out_of_scope_examples": len(out_of_scope),
        "threshold": round(threshold, 4),
        "threshold_rule": f"lowest score escalating >= {target_recall:.0%} of oos_val (val + oos_val only)",
        "val": {name: round(value, 4) for name, value in val_figures.items()},
        "test_questions": n_test,
        "oos_test_questions": len(data.oos_test),
        "in_scope_accuracy": round(figures["in_scope_accuracy"], 4),
        "oos_recall": round(figures["oos_recall"], 4),
        "oos_precision": round(figures["oos_precision"], 4),
        "answered_precision": round(figures["answered_precision"], 4),
        "coverage": round(figures["coverage"], 4),
        "auroc": round(figures["auroc"], 4),
        "fpr_at_95_tpr": round(figures["fpr_at_95_tpr"], 4),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 3) if latencies else 0.0,
        "latency_ms_p99": round(float(np.percentile(latencies, 99)), 3) if latencies else 0.0,
        "build_seconds": round(build_seconds, 2),
        "plot": str(plot_path),
        "own_threshold": {
            "threshold": round(own_threshold, 4),
            "rule": (
                f"lowest score escalating >= {own.target:.0%} of {own.questions} example "
                f"questions of held-out entries ({own.folds} folds of {own.entries} entries; train only)"
                if own is not None
                else "the shipped default (no calibration for this engine or help centre size)"
            ),
            "val": {key: round(own_val[key], 4) for key in ("in_scope_accuracy", "oos_recall")},
            "test": {key: round(own_test[key], 4) for key in ("in_scope_accuracy", "oos_recall")},
        },
    }
    (out_dir / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


class _NoProgress:
    def __init__(self, iterable: Any = None, **_: Any) -> None:
        self.iterable = iterable

    def __iter__(self) -> Any:
        return iter(self.iterable or ())

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, _: int = 1) -> None:
        return None


def _no_progress(iterable: Any = None, **kwargs: Any) -> _NoProgress:
    return _NoProgress(iterable, **kwargs)
