"""How the minilm engine's setting was chosen (issue 18): val + oos_val, and same-domain pseudo-OOS.

    OMP_NUM_THREADS=1 python -m bench.triage_select ../shared/data/clinc150/data_full.json

Reads only CLINC150's ``train``, ``val`` and ``oos_val`` (never test). Every text is encoded once
with the frozen MiniLM (layers 4, 5, 6) and with USE multilingual v3, and cached under
``var/triage-select/``. Each setting is then scored as in ``engine._build_minilm``: a logistic
regression (C = 10) on the rows picks the entry, and the score is the cosine to the nearest
entry centroid plus ``w`` · log p. Three situations, each reported as the val in-scope accuracy
with the threshold at 80 % (and 90 %) OOS recall and the AUROC, then the in-scope accuracy and OOS
recall at the threshold the product ships (``DEFAULT_THRESHOLDS["minilm"]``):

* ``full``: 150 intents from all of train; OOS = oos_val;
* ``shots10``: 10 training questions per intent (seed 7); OOS = oos_val;
* ``same-domain k``: a third of the intents (fold k of 3) held out of train; their val questions
  are the OOS questions and the other intents' val questions the in-scope ones. Held-out CLINC150
  intents come from the same ten domains as the rest: the hard, realistic case of a question on a
  neighbouring topic the help centre does not cover.

Rows are ``[MiniLM · sqrt(1 - a), USE · sqrt(a)]`` for a USE share ``a`` (0: MiniLM alone).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np

CACHE = Path("var/triage-select")
SPLITS = ("train", "val", "oos_val")


def encoded(path: str) -> dict[str, np.ndarray]:
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / "features.npz"
    if cached.exists():
        return dict(np.load(cached))
    from casedesk.support.triage.encoders import MiniLMEncoder
    from casedesk.support.triage.multilingual import encode

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    minilm = MiniLMEncoder()
    out: dict[str, np.ndarray] = {}
    for split in SPLITS:
        texts = [text for text, _ in data[split]]
        out[f"{split}_minilm"] = np.asarray(minilm.transform(texts), dtype=np.float32)
        out[f"{split}_use"] = encode(texts)
        out[f"{split}_labels"] = np.asarray([label for _, label in data[split]])
        print(f"encoded {split}: {len(texts)}", file=sys.stderr)
    np.savez(cached, **out)  # type: ignore[arg-type]
    return out


def rows(features: dict[str, np.ndarray], split: str, share: float) -> np.ndarray:
    minilm = features[f"{split}_minilm"]
    if share == 0:
        return minilm
    return np.hstack([minilm * math.sqrt(1 - share), features[f"{split}_use"] * math.sqrt(share)])


def score(train_x, train_y, x, background=None):  # type: ignore[no-untyped-def]
    """Per row set in ``x``: the picked entry, the nearest-centroid cosine and log p(picked).

    The engine's own head (``head.fit_centroid_head``: balanced classes); ``background``: rows
    learned as the class that is never answered (a question it wins gets cosine -inf, escalated).
    """
    from casedesk.support.triage.head import fit_centroid_head

    names, labels = np.unique(train_y, return_inverse=True)
    if background is not None:
        train_x = np.vstack([train_x, background])
        labels = np.concatenate([labels, -np.ones(len(background), dtype=int)])
    weights, intercept, centroids, classes = fit_centroid_head(train_x, labels, 10.0)
    mask = classes >= 0
    results = []
    for rows_ in x:
        logits = rows_ @ weights + intercept
        best = logits.argmax(axis=1)
        top = logits[np.arange(len(best)), best]
        log_p = -np.log(np.exp(logits - top[:, None]).sum(axis=1))
        cosine = np.where(mask, rows_ @ centroids, -np.inf).max(axis=1)
        picked = np.where(classes[best] >= 0, names[np.maximum(classes[best], 0)], "")
        results.append((picked, np.where(classes[best] >= 0, cosine, -np.inf), log_p))
    return results


def figures(pred, scores, labels, oos_scores) -> str:  # type: ignore[no-untyped-def]
    """The same threshold rule and figures as ``eval-triage`` (``casedesk.support.triage.evaluation``)."""
    from casedesk.support.triage.evaluation import choose_threshold, metrics, separation

    parts = []
    for recall in (0.8, 0.9):
        threshold = choose_threshold(oos_scores, recall)
        accuracy = metrics(pred, scores, labels, oos_scores, threshold)["in_scope_accuracy"]
        parts.append(f"acc@{int(recall * 100)} {accuracy * 100:5.1f}")
    parts.append(f"AUROC {separation(scores, oos_scores)['auroc']:.4f}")
    # And at the threshold the product ships (chosen on full val + oos_val with titles): what a
    # help centre gets without a threshold of its own, e.g. on same-domain questions.
    from casedesk.support.triage.engine import DEFAULT_THRESHOLDS

    shipped = DEFAULT_THRESHOLDS["minilm"]
    at = metrics(pred, scores, labels, oos_scores, shipped)
    parts.append(f"at {shipped}: acc {at['in_scope_accuracy'] * 100:5.1f} OOS {at['oos_recall'] * 100:5.1f}")
    return "  ".join(parts)


def main(  # type: ignore[no-untyped-def]
    path: str, shares: tuple[float, ...] = (0.0, 0.2, 0.3, 0.4), weights=(0.05, 0.1, 0.2), background=False
) -> None:
    """``background``: learn the product's ``BACKGROUND_QUESTIONS`` as never answered in every
    situation, as the engine does since stop 25 (``engine.learns_background``)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    django.setup()
    features = encoded(path)
    if background:
        from casedesk.support.triage.encoders import MiniLMEncoder
        from casedesk.support.triage.engine import BACKGROUND_QUESTIONS
        from casedesk.support.triage.multilingual import encode

        lines = list(BACKGROUND_QUESTIONS)
        features["background_minilm"] = np.asarray(MiniLMEncoder().transform(lines), dtype=np.float32)
        features["background_use"] = encode(lines)
    train_y, val_y = features["train_labels"], features["val_labels"]
    intents = np.unique(train_y)
    np.random.default_rng(0).shuffle(intents)
    chosen = np.random.default_rng(7)
    shots = np.concatenate(
        [chosen.choice(np.where(train_y == c)[0], 10, replace=False) for c in np.unique(train_y)]
    )
    for share in shares:
        train_x, val_x, oos_x = (rows(features, split, share) for split in SPLITS)
        situations = [
            ("full", train_x, train_y, val_x, val_y, oos_x),
            ("shots10", train_x[shots], train_y[shots], val_x, val_y, oos_x),
        ]
        for fold in range(3):
            held = list(intents[fold::3])
            keep_train, keep_val = ~np.isin(train_y, held), ~np.isin(val_y, held)
            situations.append(
                (
                    f"same-domain {fold}",
                    train_x[keep_train],
                    train_y[keep_train],
                    val_x[keep_val],
                    val_y[keep_val],
                    val_x[~keep_val],
                )
            )
        extra = rows(features, "background", share) if background else None
        for name, tx, ty, vx, vy, ox in situations:
            (pred, cosine, log_p), (_, oos_cosine, oos_log_p) = score(tx, ty, [vx, ox], extra)
            for weight in weights:
                line = figures(pred, cosine + weight * log_p, vy, oos_cosine + weight * oos_log_p)
                print(f"USE share {share:.1f}  w {weight:.2f}  {name:14s} {line}", flush=True)


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if argument != "--background"]
    main(
        arguments[0] if arguments else "../shared/data/clinc150/data_full.json",
        background="--background" in sys.argv,
    )
