"""Classification metrics over a whole test set, plus chance levels for that set."""

from __future__ import annotations

from collections import Counter

import numpy as np


def f1_per_class(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict[str, float]:
    scores = {}
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred))
        fp = sum(t != label and p == label for t, p in zip(y_true, y_pred))
        fn = sum(t == label and p != label for t, p in zip(y_true, y_pred))
        scores[label] = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
    return scores


def macro_f1(y_true: list[str], y_pred: list[str]) -> float:
    """Mean F1 over the labels present in the gold or predicted labels (scikit-learn's
    default label set), computed once over the whole test set."""
    labels = sorted(set(y_true) | set(y_pred))
    return float(np.mean(list(f1_per_class(y_true, y_pred, labels).values())))


def chance_levels(y_true: list[str], labels: list[str]) -> dict[str, float]:
    """Macro-F1 of always predicting the majority class, and the expected macro-F1 of
    uniform random guessing over the label list (class c: F1 = 2 p_c / L / (p_c + 1/L))."""
    counts = Counter(y_true)
    majority = max(sorted(counts), key=counts.get)
    n, n_labels = len(y_true), len(labels)
    uniform = np.mean([2 * (counts.get(c, 0) / n) / n_labels / (counts.get(c, 0) / n + 1 / n_labels) for c in labels])
    return {
        "majority_macro_f1": macro_f1(y_true, [majority] * n),
        "uniform_macro_f1": float(uniform),
        "majority_label": majority,
    }


def classification_report(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict:
    index = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(y_true, y_pred):
        confusion[index[t], index[p]] += 1
    return {
        "n_examples": len(y_true),
        "macro_f1": macro_f1(y_true, y_pred),
        "accuracy": float(np.mean([t == p for t, p in zip(y_true, y_pred)])) if y_true else 0.0,
        "per_class_f1": f1_per_class(y_true, y_pred, labels),
        "labels": labels,
        "confusion_matrix": confusion.tolist(),
        "chance": chance_levels(y_true, labels),
    }
