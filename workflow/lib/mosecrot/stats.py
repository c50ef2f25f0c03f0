"""Significance tests and intervals for macro-F1, at the level of methods.

The statistic is the seed-mean macro-F1 (macro-F1 over the whole test set, computed per
seed, averaged over seeds). A claim such as "RR beats LS" is about methods, so both sources
of chance count: which seeds were trained, and which examples the test set holds.

- method_test: A - B with a Welch t-test whose variance is the seed-to-seed variance of each
  method (s^2 / m) plus the test-set variance of the difference of the methods' expected
  scores, estimated by a paired bootstrap over the shared test examples from the covariance
  between *different* seeds (a seed's covariance with itself also holds its seed noise,
  which the first part already counts). Why this and not a two-level bootstrap: simulated
  method-level nulls at the demo's size (tools/simulate_calibration.py, README "Statistics")
  put a two-level bootstrap at 0.8-6.6 % rejections at alpha 0.05 depending on whether seed
  noise is global or per example, the examples-only test at 6-40 %, this test at 2.2-5.9 %.
  With shared_checkpoints (both methods read the same model of each seed) the seeds are
  paired and the same test runs on the per-seed differences.
- bootstrap_interval: percentile interval of one system's seed-mean macro-F1 over the
  test examples (descriptive: the seeds held fixed).
- holm: Holm's step-down correction of a family of p-values.
- t_half_width: the Student-t interval every test and cost in the analysis reports.
- detectable_difference, seeds_needed: power. The smallest true difference a test of a given
  standard error and degrees of freedom detects with 80% power, and the seeds a pilot's
  variances need for a given difference (the pilot's variances taken as the true ones).
- spearman_permutation: Spearman's rho with a permutation p (exact up to 8 points, or
  permuted within strata such as languages).

Macro-F1 averages F1 over the classes present in the gold labels or the predictions of the
(re)sample, as metrics.macro_f1 and scikit-learn do. Counts are sums of per-example
indicators, so a resample is a matrix product: 10,000 resamples take well under a second.
"""

from __future__ import annotations

import math
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
class MethodTest:
    """A - B at the level of methods: seeds and test examples are both random.

    difference: seed-mean macro-F1 of A minus that of B. se: its standard error, from the
    seed-to-seed variance of each method (s^2 / m) plus the test-set variance of the
    difference of the methods' expected scores (bootstrap over the shared test examples,
    the covariance between different seeds' replicates). df: Welch-Satterthwaite degrees
    of freedom (the test-set part counts as known). p_value: two-sided, Student t."""

    difference: float
    se: float
    df: float
    p_value: float
    seed_scores_a: list[float]
    seed_scores_b: list[float]
    test_set_variance: float
    resamples: int
    # Seed-to-seed variance (ddof 1) of each method's scores, before dividing by the seed
    # count; paired (shared checkpoints): the variance of the per-seed differences, and 0.
    seed_variances: tuple[float, float] = (0.0, 0.0)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        half = float(t_half_width(self.se, self.df, level))
        return self.difference - half, self.difference + half


def t_half_width(se, df, level: float = 0.95):
    """Half-width of a two-sided Student-t interval (scalars or arrays); 0 where se is 0."""
    from scipy.stats import t

    se = np.asarray(se, dtype=float)
    return np.where(se > 0, t.ppf(0.5 + level / 2, np.asarray(df, dtype=float)) * se, 0.0)


def example_weights(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """(size, n) bootstrap counts: how often each example is drawn in each resample."""
    draws = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)


def seed_replicates(
    gold: list[str], systems: list[np.ndarray], resamples: int, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per system ((seeds, n) predictions): each seed's macro-F1 on the test set as it is,
    (seeds,), and on every resample of the examples, (resamples, seeds). All systems are
    scored on the same resamples (paired), drawn in blocks of CHUNK to bound memory."""
    gold_i, coded, n_classes = encode(gold, *systems)
    parts = [[_indicators(gold_i, p, n_classes) for p in system] for system in coded]
    blocks: list[list[np.ndarray]] = [[] for _ in systems]
    for size in _blocks(resamples):
        weights = example_weights(rng, size, len(gold_i))
        for out, system in zip(blocks, parts):
            out.append(np.stack([_macro_f1(weights @ part, n_classes) for part in system], axis=1))
    return [
        (np.array([_macro_f1(part.sum(axis=0), n_classes) for part in system]), np.concatenate(out))
        for system, out in zip(parts, blocks)
    ]


def _test_set_covariance(x: np.ndarray, y: np.ndarray, same: bool) -> float:
    """Mean covariance between the seeds of x and y over the test-set resamples; for one
    system (same=True) only between *different* seeds, which leaves out the part of each
    seed's own variance that is seed noise (already in the seed-to-seed variance). A
    deterministic system (one seed) keeps its variance."""
    cov = np.cov(np.concatenate([x, y], axis=1).T)
    block = cov[: x.shape[1], x.shape[1] :]
    if not same or x.shape[1] == 1:
        return float(block.mean())
    return float(block[~np.eye(x.shape[1], dtype=bool)].mean())


def welch_from_replicates(
    observed_a: np.ndarray, replicates_a: np.ndarray, observed_b: np.ndarray, replicates_b: np.ndarray
) -> tuple[float, float, float, float, float]:
    """(difference, se, df, p, test-set variance) of mean(A seeds) - mean(B seeds).
    A system with one seed is deterministic (no seed variance)."""
    from scipy.stats import norm, t

    difference = float(observed_a.mean() - observed_b.mean())
    test_set = (
        _test_set_covariance(replicates_a, replicates_a, True)
        + _test_set_covariance(replicates_b, replicates_b, True)
        - 2 * _test_set_covariance(replicates_a, replicates_b, False)
    )
    test_set = max(test_set, 0.0)
    variance, df = welch_variance_df(
        (_seed_variance(observed_a), _seed_variance(observed_b)), (len(observed_a), len(observed_b)), test_set
    )
    if variance <= 0:
        return difference, 0.0, math.inf, 1.0 if difference == 0 else 0.0, test_set
    se = math.sqrt(variance)
    statistic = abs(difference) / se
    p = float(2 * (norm.sf(statistic) if math.isinf(df) else t.sf(statistic, df)))
    return difference, se, df, min(p, 1.0), test_set


def method_test(
    gold: list[str],
    predictions_a: np.ndarray,
    predictions_b: np.ndarray,
    resamples: int = 10_000,
    seed: int = 0,
    shared_checkpoints: bool = False,
) -> MethodTest:
    """Is method A better than method B? predictions: (seeds, n) per method, any seed counts
    (one seed = a deterministic method). See MethodTest; the README's statistics section
    gives the simulation that chose this design.

    shared_checkpoints: row s of A and of B come from the same fine-tuned model (LS,
    Procrustes, WECHSEL, FOCUS and no-swap all read the original model of seed s): the
    seeds are then paired, and the test is the same on the per-seed differences (their
    spread is the seed variance)."""
    (observed_a, replicates_a), (observed_b, replicates_b) = seed_replicates(
        gold, [np.asarray(predictions_a), np.asarray(predictions_b)], resamples, np.random.default_rng(seed)
    )
    if shared_checkpoints:
        if observed_a.shape != observed_b.shape:
            raise ValueError(f"shared checkpoints need the same seeds: {observed_a.shape} vs {observed_b.shape}")
        none, no_replicates = np.zeros(1), np.zeros((resamples, 1))
        result = welch_from_replicates(observed_a - observed_b, replicates_a - replicates_b, none, no_replicates)
    else:
        result = welch_from_replicates(observed_a, replicates_a, observed_b, replicates_b)
    difference, se, df, p, test_set = result
    if shared_checkpoints:
        variances = (_seed_variance(observed_a - observed_b), 0.0)
    else:
        variances = (_seed_variance(observed_a), _seed_variance(observed_b))
    return MethodTest(difference, se, df, p, observed_a.tolist(), observed_b.tolist(), test_set, resamples, variances)


def _seed_variance(scores: np.ndarray) -> float:
    return float(np.var(scores, ddof=1)) if len(scores) > 1 else 0.0


def detectable_difference(se: float, df: float, alpha: float, power: float = 0.8) -> float:
    """The smallest true difference |A - B| that a two-sided t-test at level alpha, with
    standard error se and df degrees of freedom, rejects with probability `power`: the
    statistic is then noncentral t with noncentrality difference / se (normal for infinite
    df). se and df are taken as known, as a pilot run gives them. 0 where se is 0."""
    from scipy.optimize import brentq
    from scipy.stats import nct, norm, t

    if math.isnan(se) or math.isnan(df):
        return math.nan
    if se <= 0:
        return 0.0
    if math.isinf(df):
        critical = norm.ppf(1 - alpha / 2)
        rejects = lambda shift: norm.sf(critical - shift) + norm.cdf(-critical - shift)  # noqa: E731
    else:
        critical = t.ppf(1 - alpha / 2, df)
        # The far tail as sf at -shift: scipy's nct.cdf there can return NaN.
        rejects = lambda shift: nct.sf(critical, df, shift) + nct.sf(critical, df, -shift)  # noqa: E731
    if rejects(0.0) >= power:  # alpha >= power: no difference needed
        return 0.0
    high = 1.0
    while rejects(high) < power:
        high *= 2
        if high > 2**20:  # scipy's noncentral t fails at df ~ 1 with alpha far below any Holm family's
            return math.inf
    return float(se * brentq(lambda shift: rejects(shift) - power, 0.0, high, xtol=1e-10))


def welch_variance_df(
    seed_variances: tuple[float, ...], seeds: tuple[int, ...], test_set_variance: float
) -> tuple[float, float]:
    """The variance of a difference of seed means, sum(v / m) + test_set_variance (v: each
    method's seed variance, ddof 1; a method with one seed has none), and its Welch-
    Satterthwaite degrees of freedom (the test-set part counted as known)."""
    parts = [(v / m, m) for v, m in zip(seed_variances, seeds) if m > 1 and v > 0]
    variance = sum(part for part, _ in parts) + test_set_variance
    denominator = sum(part**2 / (m - 1) for part, m in parts)
    return variance, (variance**2 / denominator if denominator > 0 else math.inf)


def seeds_needed(
    seed_variances: tuple[float, float],
    test_set_variance: float,
    difference: float,
    alpha: float,
    power: float = 0.8,
    deterministic: tuple[bool, bool] = (False, False),
    most: int = 1000,
) -> int | None:
    """The fewest seeds per method (the same m for both) at which a test of the given
    variances detects `difference` with `power` at level alpha: se^2 = v_a/m + v_b/m +
    test-set variance, Welch df. A deterministic method keeps its one evaluation. None when
    `most` seeds do not suffice (the test-set term alone can be too large: more test
    examples, not more seeds)."""
    floor = detectable_difference(math.sqrt(test_set_variance), math.inf, alpha, power)
    if floor >= difference:
        return None
    if all(deterministic):  # no seed variance on either side: the floor is the test
        return 1
    for m in range(2, most + 1):
        seeds = tuple(1 if fixed else m for fixed in deterministic)
        variance, df = welch_variance_df(seed_variances, seeds, test_set_variance)
        if detectable_difference(math.sqrt(variance), df, alpha, power) <= difference:
            return m
    return None


def _bootstrap_values(gold, predictions, resamples, seed) -> np.ndarray:
    gold_i, (pred_i,), n_classes = encode(gold, predictions)
    parts = [_indicators(gold_i, p, n_classes) for p in pred_i]
    rng = np.random.default_rng(seed)
    values = []
    for size in _blocks(resamples):
        weights = example_weights(rng, size, len(gold_i))
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


def spearman_permutation(x: list[float], y: list[float], strata: list[str] | None = None) -> tuple[float, float] | None:
    """Spearman's rho and its two-sided permutation p. None for fewer than 3 points or a
    constant input. Without strata: every ordering of y up to n = 8 (exact), 100,000 seeded
    random orderings above. With strata (e.g. the language of each point): rho is the mean
    of the within-stratum rhos (strata of fewer than 3 points or constant values left out),
    and y is permuted within strata only (Monte Carlo), so points that share a test set are
    never compared across test sets. With n = 4 the smallest possible p is 2/24: say so
    rather than give an interval."""
    import itertools

    from scipy.stats import rankdata

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    groups = (
        [np.arange(len(x))]
        if strata is None
        else [np.flatnonzero(np.asarray(strata) == s) for s in dict.fromkeys(strata)]
    )
    groups = [g for g in groups if len(g) >= 3 and np.std(x[g]) > 0 and np.std(y[g]) > 0]
    if not groups:
        return None

    def rho(g: np.ndarray, orders: np.ndarray) -> np.ndarray:
        rx, ranks = rankdata(x[g]), rankdata(y[g])[orders]
        cx, centred = rx - rx.mean(), ranks - ranks.mean(axis=-1, keepdims=True)
        return (centred @ cx) / np.sqrt((centred**2).sum(axis=-1) * (cx**2).sum())

    observed = float(np.mean([rho(g, np.arange(len(g))) for g in groups]))
    if strata is None and len(groups[0]) <= 8:
        values = rho(groups[0], np.array(list(itertools.permutations(range(len(groups[0]))))))
        return observed, float((np.abs(values) >= abs(observed) - 1e-12).mean())
    rng = np.random.default_rng(0)
    draws = 100_000
    values = np.mean([rho(g, np.argsort(rng.random((draws, len(g))), axis=1)) for g in groups], axis=0)
    return observed, float(((np.abs(values) >= abs(observed) - 1e-12).sum() + 1) / (draws + 1))
