"""Each help centre's own threshold, from its own entries (issue 18: pseudo-OOS calibration).

One threshold shipped for every help centre cannot fit them all: the score of the ``minilm``
engine (nearest-centroid cosine + w · log p) runs lower in a help centre with 5 example questions
per article than in one with 100, and lower with 150 articles than with 20. Measured on CLINC150
train + val (docs/triage.md, "Each help centre's own threshold"), the product's single threshold
escalated 85 % of questions on a neighbouring topic in a 50-article help centre with 5 examples
each, but 45 % in one with 100 examples each.

So a help centre's threshold is chosen on questions it is sure it cannot answer: its own. The
entries are split into ``FOLDS`` groups; for each group, the head (the same regression and
centroids) is learned without it, and that group's example questions are scored as out of scope.
They are the hardest kind, on a neighbouring topic in the same domain, the kind an agency's
visitors ask. The threshold is the lowest score that escalates ``TARGET`` of them, the rule
``eval-triage`` applies to oos_val. Every text's row is already encoded for the index, so this
costs ``FOLDS`` more fits of the head and no encoding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from casedesk.support.triage.switches import switched_on

# Chosen in simulated help centres made from CLINC150 train and scored on val (docs/triage.md):
# 5 folds; 80 % of the held-out entries' questions, the goal's OOS recall.
FOLDS = 5
TARGET = 0.8
# Below these, the shipped default threshold is kept: too few entries to hold some out and still
# look like the help centre, too few questions for a share of them to mean anything, or too few of
# them landing on an entry rather than the background class (small help centres).
MIN_ENTRIES = 10
MIN_QUESTIONS = 10
MIN_ON_AN_ENTRY = 5


def calibration_enabled() -> bool:
    """``TRIAGE_CALIBRATE`` (env ``CASEDESK_TRIAGE_CALIBRATE``), on unless set to 0/false/no/off."""
    return switched_on("TRIAGE_CALIBRATE", "CASEDESK_TRIAGE_CALIBRATE")


def lowest_threshold_escalating(scores: np.ndarray, target: float) -> float:
    """The lowest threshold that escalates ``target`` of these out-of-scope scores.

    Escalation is ``score < threshold``; ``-inf`` (no entry picked) counts as escalated anyway.
    In-scope accuracy only falls as the threshold rises, so the lowest threshold meeting the
    target is also the one that answers the most. It sits halfway between the k-th and (k+1)-th
    lowest finite score, k = ceil(target · n) minus those escalated anyway.
    """
    finite = np.sort(scores[np.isfinite(scores)])
    escalated_anyway = len(scores) - len(finite)
    needed = max(0, math.ceil(target * len(scores) - 1e-9) - escalated_anyway)
    if needed <= 0 or len(finite) == 0:
        return float(finite[0]) if len(finite) else 0.0
    if needed >= len(finite):
        return float(finite[-1]) + 1e-6
    return float((finite[needed - 1] + finite[needed]) / 2)


@dataclass(frozen=True)
class Calibration:
    """A help centre's own threshold and what it was chosen on (shown in eval-triage's report)."""

    threshold: float
    target: float  # the share of held-out questions it escalates
    questions: int  # held-out example questions scored
    entries: int
    folds: int


# Learns a head from (rows, labels) and returns a scorer: rows → each row's score (-inf when the
# background class wins). The engine passes its own, so the folds use exactly the index's head.
HeadFitter = Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]


def calibrate(
    rows: np.ndarray,
    labels: np.ndarray,
    questions: np.ndarray,
    fit: HeadFitter,
    *,
    folds: int = FOLDS,
    target: float = TARGET,
    seed: int = 0,
) -> Calibration | None:
    """The threshold escalating ``target`` of held-out entries' questions, or None when too small.

    ``labels``: entry positions (-1 for background lines, which every fold keeps); ``questions``:
    a mask of the rows that are an entry's example questions (the title where it has none).
    """
    entries = np.unique(labels[labels >= 0])
    if len(entries) < MIN_ENTRIES or int(questions.sum()) < MIN_QUESTIONS:
        return None
    groups = np.array_split(np.random.default_rng(seed).permutation(entries), min(folds, len(entries)))
    held_scores = []
    for group in groups:
        held = np.isin(labels, group)
        scorer = fit(rows[~held], labels[~held])
        held_scores.append(scorer(rows[held & questions]))
    scores = np.concatenate(held_scores)
    if int(np.isfinite(scores).sum()) < MIN_ON_AN_ENTRY:
        # The background class took (nearly) all of them: the rule would be met by any threshold,
        # and its "lowest" would rest on one or two scores.
        return None
    return Calibration(
        threshold=lowest_threshold_escalating(scores, target),
        target=target,
        questions=len(scores),
        entries=len(entries),
        folds=len(groups),
    )
