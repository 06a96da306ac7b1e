"""How the cross-lingual scorer's threshold was chosen (issue 18, stop 24): on translated val.

    OMP_NUM_THREADS=1 python -m bench.triage_multilingual_select ../shared/data/clinc150/data_full.json

Reads CLINC150 ``train``, ``val`` and ``oos_val`` (never test) and the **selection** set
tests/fixtures/triage_multilingual_select/ (50 val / oos_val questions translated by hand into six
languages, apart from the reported set in tests/fixtures/triage_multilingual/, which this never
reads). Every text's USE multilingual v3 row comes from ``bench.triage_select``'s cache
(``var/triage-select/features.npz``). The side index is scored as in ``multilingual.MultilingualIndex``:
a logistic regression (C) picks the entry, and the score is the nearest-centroid cosine plus
``w`` · log p. For each C and w, two rules for the threshold:

* ``oos_val-en``: the lowest score escalating 80 % of oos_val in English (the first version's);
* ``select-oos``: the lowest score escalating 80 % of the selection set's 60 non-English
  out-of-scope questions, the kind the side index answers in use.

Printed per language (de es fr it nl pt): in-scope accuracy / answered from a wrong entry / OOS
recall, in %, on the selection set; then English val in-scope accuracy at the same threshold.
Entries from train examples only (no titles).
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

SELECTION = Path("tests/fixtures/triage_multilingual_select")
LANGUAGES = ("de", "es", "fr", "it", "nl", "pt")


def main(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    django.setup()
    from bench.triage_select import encoded
    from casedesk.support.triage.evaluation import choose_threshold
    from casedesk.support.triage.multilingual import encode
    from casedesk.support.triage.multilingual_eval import load_questions

    features = {
        key.removesuffix("_use"): value for key, value in encoded(path).items() if key.endswith("_use")
    }
    features.update({key: value for key, value in encoded(path).items() if key.endswith("_labels")})
    questions = load_questions(SELECTION)
    selection = {
        language: (
            encode([row["text"] for row in questions[language]]),
            np.asarray([row["intent"] for row in questions[language]]),
        )
        for language in LANGUAGES
    }
    train_x, train_y = features["train"], features["train_labels"]
    classes = np.unique(train_y)
    centroids = np.stack([train_x[train_y == c].mean(axis=0) for c in classes], axis=1)
    centroids /= np.linalg.norm(centroids, axis=0, keepdims=True)
    for c in (3.0, 10.0, 30.0):
        regression = LogisticRegression(C=c, max_iter=500).fit(train_x, train_y)

        def score(rows: np.ndarray, weight: float) -> tuple[np.ndarray, np.ndarray]:
            logits = rows @ regression.coef_.T + regression.intercept_  # noqa: B023 - used in this pass
            best = logits.argmax(axis=1)
            top = logits[np.arange(len(best)), best]
            log_p = -np.log(np.exp(logits - top[:, None]).sum(axis=1))
            return classes[best], (rows @ centroids).max(axis=1) + weight * log_p

        for weight, rule in itertools.product((0.0, 0.2, 0.5), ("oos_val-en", "select-oos")):
            if rule == "oos_val-en":
                threshold = choose_threshold(score(features["oos_val"], weight)[1])
            else:
                pooled = [score(x[y == "oos"], weight)[1] for x, y in selection.values()]
                threshold = choose_threshold(np.concatenate(pooled))
            cells, accuracies = [], []
            for x, y in selection.values():
                picked, scores = score(x, weight)
                inside = y != "oos"
                answered = scores[inside] >= threshold
                right = answered & (picked[inside] == y[inside])
                accuracies.append(right.mean())
                recall = (scores[~inside] < threshold).mean()
                cells.append(
                    f"{right.mean() * 100:3.0f}/{(answered & ~right).mean() * 100:2.0f}/{recall * 100:3.0f}"
                )
            picked, scores = score(features["val"], weight)
            english = ((scores >= threshold) & (picked == features["val_labels"])).mean()
            print(
                f"C {c:4.0f}  w {weight:.1f}  {rule:10s} threshold {threshold:7.4f}  "
                + "  ".join(cells)
                + f"  mean in-scope {np.mean(accuracies) * 100:5.1f}  English val {english * 100:5.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/clinc150/data_full.json")
