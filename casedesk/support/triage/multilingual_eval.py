"""Questions in other languages, measured: ``casedesk eval-triage DATA --multilingual DIR``.

``DIR`` holds one JSONL file per language (``de.jsonl``, ``fr.jsonl``, …, and ``en.jsonl`` with
the English originals); each line is ``{"id", "lang", "text", "english", "intent"}``, ``intent``
being a CLINC150 intent or ``"oos"``. The questions in tests/fixtures/triage_multilingual/ were
written for this project from CLINC150 **val** (see its README); nothing here reads test.

The index is built from CLINC150 ``train`` exactly as ``run_eval`` builds it. The English
scorer's threshold comes from val + oos_val as in ``run_eval``. The cross-lingual scorer's is the
lowest side score that escalates the target share of the out-of-scope questions it will really
see: with ``calibration`` (``--calibrate-on DIR``; the product's threshold was chosen this way on
tests/fixtures/triage_multilingual_select/), the non-English ``oos`` questions of a second
translated set, drawn from val and oos_val apart from the reported one; without it, oos_val in
English (the first version's rule, which the side index never sees in use: an English question
stays with the English scorer, and a question in another language scores lower against English
entries, so that threshold escalated too many). Every question then goes
through ``triage()``, so language routing is measured too. For comparison the same questions are
also run with the side index switched off (the English-only engine as it was before).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from casedesk.support.triage.engine import TriageAnswer, TriageIndex, build_index, triage
from casedesk.support.triage.evaluation import (
    TARGET_OOS_RECALL,
    DatasetError,
    build_entries,
    choose_threshold,
    load_dataset,
    score_split,
)
from casedesk.support.triage.multilingual import MultilingualIndex, detect_language


def load_questions(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every ``*.jsonl`` in ``directory``, keyed by language (the file's stem)."""
    files = sorted(Path(directory).glob("*.jsonl"))
    if not files:
        raise DatasetError(f"{directory} holds no .jsonl files.")
    questions: dict[str, list[dict[str, Any]]] = {}
    for path in files:
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append({"text": str(row["text"]), "intent": str(row["intent"])})
            except (ValueError, KeyError, TypeError) as error:
                raise DatasetError(f"{path.name} line {number}: {error}") from error
        questions[path.stem] = rows
    return questions


def calibration_threshold(
    side: MultilingualIndex, questions: dict[str, list[dict[str, Any]]], target_recall: float
) -> tuple[float, int]:
    """The lowest side score that escalates ``target_recall`` of the out-of-scope questions in
    ``questions`` that are not in English; and how many there were."""
    texts = [
        row["text"]
        for language, rows in questions.items()
        if language != "en"
        for row in rows
        if row["intent"] == "oos"
    ]
    if not texts:
        raise DatasetError(
            "The calibration set holds no out-of-scope questions in a language other than English."
        )
    _, scores, _ = side.score(texts)
    return choose_threshold(scores, target_recall), len(texts)


def _figures(index: TriageIndex, rows: list[dict[str, Any]], language: str) -> dict[str, Any]:
    correct = answered_in_scope = in_scope = oos = oos_escalated = routed = 0
    latencies = []
    for row in rows:
        started = time.process_time()
        outcome = triage(row["text"], index)
        latencies.append((time.process_time() - started) * 1000)
        if index.multilingual is not None and detect_language(row["text"]) != "en":
            routed += 1
        if row["intent"] == "oos":
            oos += 1
            oos_escalated += not isinstance(outcome, TriageAnswer)
        else:
            in_scope += 1
            if isinstance(outcome, TriageAnswer):
                answered_in_scope += 1
                correct += outcome.entry_key == row["intent"]
    return {
        "language": language,
        "questions": len(rows),
        "in_scope": in_scope,
        "in_scope_accuracy": round(correct / in_scope, 4) if in_scope else None,
        "in_scope_answered": round(answered_in_scope / in_scope, 4) if in_scope else None,
        "oos": oos,
        "oos_recall": round(oos_escalated / oos, 4) if oos else None,
        "routed_to_cross_lingual": routed,
        "cpu_ms_p50": round(float(np.percentile(latencies, 50)), 2),
        "cpu_ms_p99": round(float(np.percentile(latencies, 99)), 2),
    }


def run_multilingual_eval(
    path: Path,
    directory: Path,
    *,
    engine: str = "minilm",
    target_recall: float = TARGET_OOS_RECALL,
    out_dir: Path = Path("var/eval"),
    calibration: Path | None = None,
) -> dict[str, Any]:
    """Per-language in-scope accuracy and OOS recall, with and without the cross-lingual scorer.

    ``calibration``: a second folder of translated questions whose non-English ``oos`` ones choose
    the cross-lingual threshold (see the module's docstring); its own figures are reported too,
    marked as the set the threshold was chosen on.
    """
    data = load_dataset(path)
    questions = load_questions(directory)
    calibration_questions = load_questions(calibration) if calibration is not None else None
    entries = build_entries(data.train, None, 0)
    started = time.process_time()
    index = build_index(entries, engine=engine)
    build_cpu_seconds = time.process_time() - started

    n_val = len(data.val)
    val_questions = [text for text, _ in data.val] + [text for text, _ in data.oos_val]
    _, val_scores = score_split(index, val_questions)
    index.threshold = choose_threshold(val_scores[n_val:], target_recall)
    side = index.multilingual
    side_threshold = None
    side_rule = None
    if side is not None:
        if calibration_questions is not None:
            side_threshold, count = calibration_threshold(side, calibration_questions, target_recall)
            side_rule = (
                f"lowest side score escalating >= {target_recall:.0%} of the {count} non-English "
                f"out-of-scope questions in {calibration}"
            )
        else:
            _, side_oos_scores, _ = side.score([text for text, _ in data.oos_val])
            side_threshold = choose_threshold(side_oos_scores, target_recall)
            side_rule = f"lowest side score escalating >= {target_recall:.0%} of oos_val (English)"
        side.threshold = side_threshold

    triage("Wie setze ich mein Passwort zurück?", index)  # load the models before anything is timed
    with_side = [_figures(index, rows, language) for language, rows in questions.items()]
    on_calibration = (
        [_figures(index, rows, language) for language, rows in calibration_questions.items()]
        if calibration_questions is not None and side is not None
        else None
    )
    index.multilingual = None
    english_only = [_figures(index, rows, language) for language, rows in questions.items()]
    index.multilingual = side

    report = {
        "dataset": str(path),
        "questions": str(directory),
        "engine": engine,
        "cross_lingual": side is not None,
        "threshold": round(index.threshold, 4),
        "cross_lingual_threshold": None if side_threshold is None else round(side_threshold, 4),
        "threshold_rule": f"lowest score escalating >= {target_recall:.0%} of oos_val (val + oos_val only)",
        "cross_lingual_threshold_rule": side_rule,
        "build_cpu_seconds": round(build_cpu_seconds, 2),
        "with_cross_lingual": with_side,
        "english_scorer_only": english_only,
    }
    if on_calibration is not None:
        report["calibration"] = str(calibration)
        report["on_calibration_set_threshold_chosen_there"] = on_calibration
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"triage-multilingual-{engine}.json").write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8"
    )
    return report
