"""The significance machinery on crafted predictions whose answer is known, against naive
computations: macro-F1 of a resample, the paired test's verdicts, Holm, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mosecrot import analysis, metrics, stats

LABELS = [f"c{i}" for i in range(6)]


def _systems(rng, n=150):
    gold = list(rng.choice(LABELS, n))
    noisy = lambda accuracy: np.array(  # noqa: E731
        [[g if rng.random() < accuracy else rng.choice(LABELS) for g in gold] for _ in range(3)]
    )
    return gold, noisy(0.9), noisy(0.35)


def test_seed_mean_macro_f1_equals_the_metric_on_every_seed(rng):
    gold, good, _ = _systems(rng)
    gold_i, (pred_i,), n_classes = stats.encode(gold, good)
    assert stats.seed_mean_macro_f1(gold_i, pred_i, n_classes) == pytest.approx(
        np.mean([metrics.macro_f1(gold, list(p)) for p in good]), abs=1e-12
    )


def test_a_bootstrap_resample_is_the_macro_f1_of_the_drawn_examples(rng):
    """The matrix form (counts x per-example indicators) against drawing the examples."""
    gold, good, _ = _systems(rng, 40)
    gold_i, (pred_i,), n_classes = stats.encode(gold, good)
    weights = stats._resample_weights(np.random.default_rng(5), 3, len(gold))
    for r in range(3):
        drawn = np.repeat(np.arange(len(gold)), weights[r].astype(int))
        naive = np.mean([metrics.macro_f1([gold[i] for i in drawn], [p[i] for i in drawn]) for p in good])
        matrix = np.mean(
            [stats._macro_f1(weights[r] @ stats._indicators(gold_i, p, n_classes), n_classes) for p in pred_i]
        )
        assert matrix == pytest.approx(naive, abs=1e-12)


def test_verdicts_on_a_clear_win_a_tie_and_a_loss(rng):
    gold, good, bad = _systems(rng)
    win = stats.paired_test(gold, good, bad, resamples=10_000, seed=0)
    tie = stats.paired_test(gold, good, good.copy(), resamples=10_000, seed=0)
    loss = stats.paired_test(gold, bad, good, resamples=10_000, seed=0)
    assert win.difference > 0.3 and win.low > 0 and win.p_value < 0.001
    assert tie.difference == 0 and tie.p_value == 1.0 and tie.low == tie.high == 0
    assert loss.difference == pytest.approx(-win.difference) and loss.high < 0 and loss.p_value < 0.001
    rows = [
        {
            "dataset": "d",
            "claim": name,
            "group": "g",
            "language": "xx",
            "difference": r.difference,
            "p_value": r.p_value,
        }
        for name, r in (("win", win), ("tie", tie), ("loss", loss))
    ]
    verdicts = analysis.finalize_claims(rows, alpha=0.05).set_index("claim")["verdict"].to_dict()
    assert verdicts == {"win": "supported", "tie": "not significant", "loss": "contradicted"}


def test_the_tests_are_seeded_and_reproducible(rng):
    gold, good, bad = _systems(rng)
    first = stats.paired_test(gold, good, bad, resamples=2000, seed=7)
    assert stats.paired_test(gold, good, bad, resamples=2000, seed=7) == first
    assert stats.bootstrap_interval(gold, good, 2000, 3) == stats.bootstrap_interval(gold, good, 2000, 3)
    assert stats.paired_test(gold, good, bad, resamples=2000, seed=8).low != first.low


def test_a_small_difference_inside_the_noise_is_not_significant(rng):
    gold, good, _ = _systems(rng)
    other = good.copy()
    other[:, :3] = np.array([["c0", "c1", "c2"]] * 3)  # a handful of changed predictions
    result = stats.paired_test(gold, good, other, resamples=10_000, seed=0)
    assert abs(result.difference) < 0.05 and result.p_value > 0.05


def test_holm_against_its_definition():
    p = [0.01, 0.04, 0.03, 0.005, 0.5]
    adjusted = stats.holm(p)
    order = np.argsort(p)
    expected = np.maximum.accumulate([min(1, (len(p) - rank) * p[i]) for rank, i in enumerate(order)])
    assert [adjusted[i] for i in order] == pytest.approx(list(expected))
    assert stats.holm([0.5, 0.9]) == [1.0, 1.0]


def test_deterministic_systems_are_repeated_for_every_seed():
    a, b, seeds = stats.align_seeds({0: ["x"], 1: ["y"], 2: ["x"]}, {0: ["z"]})
    assert seeds == [0, 1, 2] and b.tolist() == [["z"]] * 3
    with pytest.raises(ValueError, match="no common seed"):
        stats.align_seeds({0: ["x"], 1: ["y"]}, {2: ["x"], 3: ["x"]})


def test_spearman_needs_four_languages():
    assert stats.spearman_interval([1, 2, 3], [3, 2, 1]) is None
    rho, low, high = stats.spearman_interval([1, 2, 3, 4, 5], [2, 4, 6, 8, 11])
    assert rho == pytest.approx(1.0) and low < rho and high <= 1.0


def test_claims_are_checked_per_weighting_never_the_best_one(rng):
    claims = analysis.claim_list(["rr-standard", "rr-softmax", "ls", "multilingual", "lr"], ["fr", "mt"], seen=["fr"])
    texts = {c.text for c in claims}
    assert {"rr-standard beats LS", "rr-softmax beats LS"} <= texts
    seen = [c for c in claims if c.text.startswith("multilingual beats")]
    unseen = [c for c in claims if c.text.endswith("(unseen languages)")]
    assert all(c.languages == ("fr",) for c in seen) and all(c.languages == ("mt",) for c in unseen)
    assert not any("best" in c.text for c in claims)
    assert isinstance(analysis.finalize_claims([], 0.05), pd.DataFrame)
