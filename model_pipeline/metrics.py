"""Classification metrics: balanced accuracy (ISIC 2018 Task 3), per-class recall/precision, AUC, ECE."""

from __future__ import annotations

import numpy as np

from lesion_contract.labels import LABELS, MEL_INDEX


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int = len(LABELS)) -> np.ndarray:
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def per_class_recall(cm: np.ndarray) -> np.ndarray:
    support = cm.sum(axis=1)
    return np.divide(np.diag(cm), support, out=np.full(len(cm), np.nan), where=support > 0)


def per_class_precision(cm: np.ndarray) -> np.ndarray:
    predicted = cm.sum(axis=0)
    return np.divide(np.diag(cm), predicted, out=np.full(len(cm), np.nan), where=predicted > 0)


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in ``y_true``."""
    recall = per_class_recall(confusion(y_true, y_pred))
    return float(np.nanmean(recall))


def melanoma_stats(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Melanoma vs rest sensitivity / specificity from the top-1 prediction."""
    is_mel = y_true == MEL_INDEX
    said_mel = y_pred == MEL_INDEX
    sens = float((is_mel & said_mel).sum() / max(is_mel.sum(), 1))
    spec = float((~is_mel & ~said_mel).sum() / max((~is_mel).sum(), 1))
    return {"sensitivity": sens, "specificity": spec, "n_melanoma": int(is_mel.sum())}


def _binary_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def per_class_auc(y_true: np.ndarray, probs: np.ndarray) -> np.ndarray:
    return np.array([_binary_auc(probs[:, k], y_true == k) for k in range(probs.shape[1])])


def expected_calibration_error(y_true: np.ndarray, probs: np.ndarray, n_bins: int = 15) -> tuple[float, dict]:
    """Top-1 ECE with equal-width confidence bins; also returns the reliability-diagram data."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    ece = 0.0
    bins = {"edges": edges.tolist(), "accuracy": [], "confidence": [], "count": []}
    for b in range(n_bins):
        mask = idx == b
        count = int(mask.sum())
        acc = float(correct[mask].mean()) if count else float("nan")
        mean_conf = float(conf[mask].mean()) if count else float("nan")
        if count:
            ece += count / len(conf) * abs(acc - mean_conf)
        bins["accuracy"].append(acc)
        bins["confidence"].append(mean_conf)
        bins["count"].append(count)
    return float(ece), bins
