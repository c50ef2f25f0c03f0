"""Significance tests and intervals for macro-F1 over the examples of a test set.

The statistic is always the seed-mean macro-F1 (macro-F1 over the whole test set, computed
per seed, averaged over seeds). Resampling is over test examples and keeps everything
paired: one resample reweights the same examples in every seed and both systems.

- bootstrap_interval: percentile interval of one system's seed-mean macro-F1.
- paired_test: difference A - B with a paired-bootstrap percentile interval and the
  p-value of an approximate randomisation test (each example's predictions, in all seeds
  at once, swapped between A and B with probability 1/2; two-sided).
- holm: Holm's step-down correction of a family of p-values.

Macro-F1 averages F1 over the classes present in the gold labels or the predictions of the
(re)sample, as metrics.macro_f1 and scikit-learn do. Counts are sums of per-example
indicators, so a resample is a matrix product: 10,000 resamples take well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 1000  # resamples per block: bounds memory for large test sets


def encode(gold: list[str], *systems: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Integer-code gold labels and predictions ((seeds, n) arrays of labels) on one label set."""
    labels = sorted(set(gold).union(*(set(np.asarray(s).ravel().tolist()) for s in systems)))
    code = {label: i for i, label in enumerate(labels)}
    to_int = np.vectorize(code.__getitem__, otypes=[np.int64])
    return to_int(np.asarray(gold)), [to_int(np.asarray(s)) for s in systems], len(labels)


def _indicators(gold: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """(n, 3C): per example, one-hot TP | FP | FN contributions."""
    n = len(gold)
    eye = np.eye(n_classes, dtype=np.float64)
    hit = (gold == predicted)[:, None]
    tp = eye[gold] * hit
    fp = eye[predicted] * ~hit
    fn = eye[gold] * ~hit
    return np.concatenate([tp, fp, fn], axis=1).reshape(n, 3 * n_classes)


def _macro_f1(counts: np.ndarray, n_classes: int) -> np.ndarray:
    """Macro-F1 from (..., 3C) summed indicators."""
    tp, fp, fn = counts[..., :n_classes], counts[..., n_classes : 2 * n_classes], counts[..., 2 * n_classes :]
    denominator = 2 * tp + fp + fn
    present = denominator > 0
    f1 = np.where(present, 2 * tp / np.where(present, denominator, 1), 0.0)
    return f1.sum(axis=-1) / np.maximum(present.sum(axis=-1), 1)


def seed_mean_macro_f1(gold: np.ndarray, predictions: np.ndarray, n_classes: int) -> float:
    counts = np.stack([_indicators(gold, p, n_classes).sum(axis=0) for p in predictions])
    return float(_macro_f1(counts, n_classes).mean())


def _resample_weights(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """(size, n) bootstrap counts: how often each example is drawn in each resample."""
    draws = rng.integers(0, n, size=(size, n))
    weights = np.zeros((size, n), dtype=np.float64)
    np.add.at(weights, (np.arange(size)[:, None], draws), 1.0)
    return weights


def _blocks(resamples: int):
    for start in range(0, resamples, CHUNK):
        yield min(CHUNK, resamples - start)


@dataclass
class Interval:
    estimate: float
    low: float
    high: float


def bootstrap_interval(
    gold: list[str], predictions: np.ndarray, resamples: int = 10_000, seed: int = 0, level: float = 0.95
) -> Interval:
    """Percentile bootstrap interval of the seed-mean macro-F1 (predictions: (seeds, n))."""
    values = _bootstrap_values(gold, predictions, resamples, seed)
    tail = (1 - level) / 2
    return Interval(
        point_estimate(gold, predictions), float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail))
    )


def point_estimate(gold: list[str], predictions: np.ndarray) -> float:
    gold_i, (pred_i,), n_classes = encode(gold, predictions)
    return seed_mean_macro_f1(gold_i, pred_i, n_classes)


@dataclass
class PairedResult:
    difference: float
    low: float
    high: float
    p_value: float
    resamples: int


def paired_test(
    gold: list[str],
    predictions_a: np.ndarray,
    predictions_b: np.ndarray,
    resamples: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
) -> PairedResult:
    """A - B in seed-mean macro-F1 on one test set. Both are (seeds, n), seed-aligned (a
    deterministic system is repeated for every seed of the other: align_seeds)."""
    gold_i, (a_i, b_i), n_classes = encode(gold, predictions_a, predictions_b)
    if a_i.shape != b_i.shape:
        raise ValueError(f"predictions must be seed-aligned: {a_i.shape} vs {b_i.shape}")
    parts_a = [_indicators(gold_i, p, n_classes) for p in a_i]
    parts_b = [_indicators(gold_i, p, n_classes) for p in b_i]
    observed = seed_mean_macro_f1(gold_i, a_i, n_classes) - seed_mean_macro_f1(gold_i, b_i, n_classes)
    rng = np.random.default_rng(seed)
    n = len(gold_i)
    swapped, boot = [], []
    for size in _blocks(resamples):
        # Approximate randomisation: swap each example's predictions between A and B.
        swap = rng.integers(0, 2, size=(size, n)).astype(np.float64)
        delta = np.zeros(size)
        for part_a, part_b in zip(parts_a, parts_b):
            moved = swap @ (part_b - part_a)
            total_a, total_b = part_a.sum(axis=0), part_b.sum(axis=0)
            delta += _macro_f1(total_a + moved, n_classes) - _macro_f1(total_b - moved, n_classes)
        swapped.append(delta / len(parts_a))
        # Paired bootstrap: the same examples drawn for A and B, in every seed.
        weights = _resample_weights(rng, size, n)
        delta = np.zeros(size)
        for part_a, part_b in zip(parts_a, parts_b):
            delta += _macro_f1(weights @ part_a, n_classes) - _macro_f1(weights @ part_b, n_classes)
        boot.append(delta / len(parts_a))
    swapped, boot = np.concatenate(swapped), np.concatenate(boot)
    extreme = int((np.abs(swapped) >= abs(observed) - 1e-12).sum())
    tail = (1 - level) / 2
    return PairedResult(
        difference=observed,
        low=float(np.quantile(boot, tail)),
        high=float(np.quantile(boot, 1 - tail)),
        p_value=(extreme + 1) / (resamples + 1),
        resamples=resamples,
    )


def difference_interval(
    gold_a: list[str],
    predictions_a: np.ndarray,
    gold_b: list[str],
    predictions_b: np.ndarray,
    resamples: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """A - B for two different test sets (e.g. English vs target): independent bootstraps."""
    a = _bootstrap_values(gold_a, predictions_a, resamples, seed)
    b = _bootstrap_values(gold_b, predictions_b, resamples, seed + 1)
    estimate = point_estimate(gold_a, predictions_a) - point_estimate(gold_b, predictions_b)
    tail = (1 - level) / 2
    return Interval(estimate, float(np.quantile(a - b, tail)), float(np.quantile(a - b, 1 - tail)))


def _bootstrap_values(gold, predictions, resamples, seed) -> np.ndarray:
    gold_i, (pred_i,), n_classes = encode(gold, predictions)
    parts = [_indicators(gold_i, p, n_classes) for p in pred_i]
    rng = np.random.default_rng(seed)
    values = []
    for size in _blocks(resamples):
        weights = _resample_weights(rng, size, len(gold_i))
        values.append(np.mean([_macro_f1(weights @ part, n_classes) for part in parts], axis=0))
    return np.concatenate(values)


def holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted p-values (step-down, monotone, capped at 1), in the input order."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def align_seeds(a: dict[int, list[str]], b: dict[int, list[str]]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Seed-aligned (seeds, n) prediction arrays of two systems. A system evaluated with one
    seed only (LR is deterministic) is repeated for each seed of the other; otherwise the
    seeds both have are used."""
    if len(a) == 1 and len(b) > 1:
        only = next(iter(a.values()))
        a = {seed: only for seed in b}
    elif len(b) == 1 and len(a) > 1:
        only = next(iter(b.values()))
        b = {seed: only for seed in a}
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError(f"no common seed: {sorted(a)} vs {sorted(b)}")
    return np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds]), seeds


def spearman_interval(x: list[float], y: list[float], level: float = 0.95) -> tuple[float, float, float] | None:
    """Spearman's rho with a Fisher-z interval (standard error sqrt(1.06 / (n - 3)),
    Fieller, Hartley & Pearson 1957); None for fewer than 4 points or a constant input."""
    from scipy.stats import norm, spearmanr

    if len(x) < 4 or np.std(x) == 0 or np.std(y) == 0:
        return None
    rho = float(spearmanr(x, y).statistic)
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    half = norm.ppf(1 - (1 - level) / 2) * np.sqrt(1.06 / (len(x) - 3))
    return rho, float(np.tanh(z - half)), float(np.tanh(z + half))
