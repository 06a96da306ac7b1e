"""Each help centre's own threshold, against the one shipped for all (issue 18, stop 24).

    OMP_NUM_THREADS=1 python -m bench.triage_calibration ../shared/data/clinc150/data_full.json 20x5 50x20

Simulated help centres made from CLINC150: for ``NxK``, N intents drawn at random are the
articles, each learned from K of its train questions (plus the background lines, as the engine
does: ``learns_background``). Scored on val only (never test):

* in-scope: the val questions of those N intents (accuracy = answered from the right entry);
* near OOS: the val questions of N (at least 20) other intents, from the same ten domains: the
  neighbouring topics the help centre does not cover;
* generic OOS: oos_val.

For each, the shipped threshold (``DEFAULT_THRESHOLDS["minilm"]``), the help centre's own
(``calibration.calibrate``, the engine's code, at 60 / 70 / 80 % of the held-out entries'
questions), and the oracle that escalates exactly 80 % of the near-OOS questions. Mean of 8 draws.
Rows are the cached MiniLM + USE features of ``bench.triage_select`` (no titles or passages).
"""

from __future__ import annotations

import os
import sys

import numpy as np


def main(path: str, configs: list[tuple[int, int]]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    django.setup()
    from bench.triage_select import SPLITS, encoded, rows
    from casedesk.support.triage.calibration import calibrate, lowest_threshold_escalating
    from casedesk.support.triage.encoders import MiniLMEncoder, MiniLMWithUSEEncoder
    from casedesk.support.triage.engine import (
        BACKGROUND_QUESTIONS,
        DEFAULT_THRESHOLDS,
        MINILM_C,
        MINILM_LOG_PROB_WEIGHT,
        MINILM_USE_SHARE,
        _minilm_head_fitter,
        learns_background,
    )
    from casedesk.support.triage.head import centroid_scores, fit_centroid_head
    from casedesk.support.triage.multilingual import encode

    features = encoded(path)
    train_x, val_x, oos_x = (rows(features, split, MINILM_USE_SHARE) for split in SPLITS)
    train_y, val_y = features["train_labels"], features["val_labels"]
    minilm = MiniLMEncoder()
    background = MiniLMWithUSEEncoder(minilm, MINILM_USE_SHARE).combine(
        minilm.transform_cached(BACKGROUND_QUESTIONS), encode(list(BACKGROUND_QUESTIONS))
    )
    shipped = DEFAULT_THRESHOLDS["minilm"]
    intents = np.unique(train_y)
    for count, shots in configs:
        results: dict[str, list[tuple[float, float, float, float]]] = {}
        for draw in range(8):
            rng = np.random.default_rng(100 + draw)
            order = rng.permutation(intents)
            mine, other = order[:count], order[count : count + max(count, 20)]
            chosen = np.concatenate(
                [rng.choice(np.where(train_y == c)[0], shots, replace=False) for c in mine]
            )
            position = {intent: number for number, intent in enumerate(mine)}
            x, y = train_x[chosen], np.asarray([position[c] for c in train_y[chosen]])
            if learns_background("minilm", count):
                x = np.vstack([x, background])
                y = np.concatenate([y, -np.ones(len(background), dtype=int)])
            weights, intercept, centroids, classes = fit_centroid_head(x, y, MINILM_C)

            def score(questions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                logits = questions @ weights + intercept  # noqa: B023 - this draw's head
                return centroid_scores(
                    logits,
                    questions,
                    centroids,  # noqa: B023
                    classes >= 0,  # noqa: B023
                    classes,  # noqa: B023
                    MINILM_LOG_PROB_WEIGHT,
                )

            inside, near = np.isin(val_y, mine), np.isin(val_y, other)
            picked, scores = score(val_x[inside])
            _, near_scores = score(val_x[near])
            _, generic_scores = score(oos_x)
            truth = np.asarray([position[c] for c in val_y[inside]])
            thresholds = {f"shipped {shipped}": shipped}
            for target in (0.6, 0.7, 0.8):
                own = calibrate(x, y, y >= 0, _minilm_head_fitter, target=target)
                thresholds[f"own @{target:.0%}"] = own.threshold if own is not None else shipped
            thresholds["oracle near @80%"] = lowest_threshold_escalating(near_scores, 0.8)
            for name, threshold in thresholds.items():
                results.setdefault(name, []).append(
                    (
                        float(np.mean((scores >= threshold) & (picked == truth))),
                        float(np.mean(near_scores < threshold)),
                        float(np.mean(generic_scores < threshold)),
                        threshold,
                    )
                )
        for name, values in results.items():
            accuracy, near_recall, generic_recall, threshold = np.asarray(values).mean(axis=0)
            print(
                f"{count:3d} entries x {shots:3d}  {name:18s} threshold {threshold:.3f}  in-scope "
                f"{accuracy * 100:5.1f}  near OOS {near_recall * 100:5.1f}  "
                f"generic OOS {generic_recall * 100:5.1f}",
                flush=True,
            )


if __name__ == "__main__":
    arguments = sys.argv[1:] or ["../shared/data/clinc150/data_full.json"]
    sizes = [tuple(int(part) for part in spec.split("x")) for spec in arguments[1:]] or [
        (10, 5),
        (20, 5),
        (20, 20),
        (50, 5),
        (50, 20),
        (50, 100),
        (100, 10),
    ]
    main(arguments[0], [(count, shots) for count, shots in sizes])
