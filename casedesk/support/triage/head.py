"""The head the minilm engine and the cross-lingual side index share: a multinomial logistic
regression picks the entry, and the score is the cosine to the nearest entry centroid plus a
weight times the log-probability of the picked entry (docs/triage.md, "The minilm engine")."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression


def fit_centroid_head(
    rows: np.ndarray, labels: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The minilm head (and the side index's): a multinomial logistic regression on the rows, and
    each class's unit centroid. Returns (weights features × classes, intercept, centroids
    features × classes with a zero column for the background class, the sorted class labels)."""
    classes = np.unique(labels)  # sorted, background (-1) first
    if len(classes) > 1:
        # Balanced: each entry, and the background lines together, weigh as much as any other
        # class however many texts it has. Unweighted, a small help centre's 60 background lines
        # outweighed each article's handful and took in-scope questions ("what's the max
        # attachment size"): docs/triage.md, "Balanced classes". CLINC150's classes are all the
        # same size, so its figures are the same either way.
        regression = LogisticRegression(C=c, max_iter=500, class_weight="balanced")
        regression.fit(rows, labels)
        weights = np.ascontiguousarray(regression.coef_.T, dtype=np.float32)
        intercept = np.asarray(regression.intercept_, dtype=np.float32)
        if weights.shape[1] == 1:  # two classes: scikit-learn keeps one column for class 1
            weights = np.ascontiguousarray(np.column_stack([-weights[:, 0], weights[:, 0]]) / 2)
            intercept = np.asarray([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    else:  # one entry and no background: every question goes to it, the cosine decides
        weights = np.zeros((rows.shape[1], 1), dtype=np.float32)
        intercept = np.zeros(1, dtype=np.float32)
    centroids = np.zeros((rows.shape[1], len(classes)), dtype=np.float32)
    for column, label in enumerate(classes):
        if label >= 0:
            centre = rows[labels == label].mean(axis=0)
            centroids[:, column] = centre / max(float(np.linalg.norm(centre)), 1e-12)
    return weights, intercept, centroids, classes


def centroid_scores(
    logits: np.ndarray,
    features: np.ndarray,
    centroids: np.ndarray,
    centroid_mask: np.ndarray,
    class_entry: np.ndarray,
    log_prob_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Entry from the regression's logits; score = nearest-centroid cosine + w · log p(entry);
    -inf where the background class wins."""
    best_class = logits.argmax(axis=1)
    top = logits[np.arange(len(best_class)), best_class]
    log_prob = -np.log(np.exp(logits - top[:, None]).sum(axis=1))
    cosines = np.where(centroid_mask, features @ centroids, -np.inf)
    scores = cosines.max(axis=1) + log_prob_weight * log_prob
    entry_positions = class_entry[best_class]
    return entry_positions, np.where(entry_positions < 0, -np.inf, scores)
