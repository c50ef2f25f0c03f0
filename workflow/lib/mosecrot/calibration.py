"""Simulated method-level nulls: how often a test rejects when two methods are equally good
as methods. Used by the calibration tests (tests/test_stats.py) and by
tools/simulate_calibration.py, whose output is the README's Statistics table.

Each checkpoint (method, seed) answers test example i correctly with probability
sigmoid(difficulty_i ± u_i + seed offset + per-example noise), otherwise a random wrong
class; a new test set and new checkpoints in every simulation. u_i (interaction_sd) makes
the two methods good at different examples, equally often, so which examples the test set
holds matters; with shared=True both methods read the same model of each seed (one seed
offset for both, as LS and no-swap do)."""

from __future__ import annotations

import numpy as np

from mosecrot import stats

TESTS = ("method-level test", "seed variance only", "two-level bootstrap", "examples only")


def null_checkpoints(
    rng: np.random.Generator,
    seed_offset_sd: float,
    example_noise_sd: float,
    interaction_sd: float = 0.0,
    shared: bool = False,
    seeds: int = 3,
    n: int = 168,
    classes: int = 12,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Gold labels and the (seeds, n) predictions of two equally good methods."""
    gold = rng.integers(0, classes, n)
    difficulty = rng.normal(-0.2, 1.5, n)
    interaction = rng.normal(0, interaction_sd, n) if interaction_sd else np.zeros(n)
    offsets = rng.normal(0, seed_offset_sd, (seeds, 1))

    def checkpoints(sign: int) -> np.ndarray:
        offset = offsets if shared else rng.normal(0, seed_offset_sd, (seeds, 1))
        logits = difficulty + sign * interaction + offset + rng.normal(0, example_noise_sd, (seeds, n))
        right = rng.random((seeds, n)) < 1 / (1 + np.exp(-logits))
        return np.where(right, gold, (gold + rng.integers(1, classes, (seeds, n))) % classes).astype(str)

    a = checkpoints(1)
    return gold.astype(str).tolist(), a, checkpoints(-1)


def rejection_rates(
    rng: np.random.Generator, simulations: int, resamples: int, alpha: float = 0.05, **scenario
) -> dict[str, float]:
    """Rejection rates at alpha of: the method-level test (stats.method_test), the same test
    without its test-set term (seed variance only), a two-level bootstrap (the seeds of each
    method resampled, then the shared examples) and an examples-only bootstrap (the
    checkpoints held fixed)."""
    shared = scenario.get("shared", False)
    rejected: dict[str, list[bool]] = {name: [] for name in TESTS}
    for _ in range(simulations):
        gold, a, b = null_checkpoints(rng, **scenario)
        seeds = a.shape[0]
        test = stats.method_test(gold, a, b, resamples, 1, shared_checkpoints=shared)
        rejected["method-level test"].append(test.p_value < alpha)
        (obs_a, rep_a), (obs_b, rep_b) = stats.seed_replicates(gold, [a, b], resamples, np.random.default_rng(1))
        zero = np.zeros_like(rep_a)
        rejected["seed variance only"].append(stats.welch_from_replicates(obs_a, zero, obs_b, zero)[3] < alpha)
        observed = obs_a.mean() - obs_b.mean()
        boot = rep_a.mean(axis=1) - rep_b.mean(axis=1)
        rejected["examples only"].append(_centred_p(boot, observed) < alpha)
        draw = np.random.default_rng(2)
        seeds_a = draw.integers(0, seeds, (resamples, seeds))
        seeds_b = seeds_a if shared else draw.integers(0, seeds, (resamples, seeds))
        two = np.take_along_axis(rep_a, seeds_a, 1).mean(axis=1) - np.take_along_axis(rep_b, seeds_b, 1).mean(axis=1)
        rejected["two-level bootstrap"].append(_centred_p(two, observed) < alpha)
    return {name: float(np.mean(values)) for name, values in rejected.items()}


def _centred_p(draws: np.ndarray, observed: float) -> float:
    """Two-sided bootstrap p of a difference: its draws centred on the observed value."""
    return (1 + np.sum(np.abs(draws - observed) >= abs(observed))) / (len(draws) + 1)
