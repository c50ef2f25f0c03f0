"""The significance machinery on crafted predictions whose answer is known, against naive
computations: macro-F1 of a resample, the paired test's verdicts, Holm, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mosecrot import analysis, calibration, metrics, stats

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
    weights = stats.example_weights(np.random.default_rng(5), 3, len(gold))
    for r in range(3):
        drawn = np.repeat(np.arange(len(gold)), weights[r].astype(int))
        naive = np.mean([metrics.macro_f1([gold[i] for i in drawn], [p[i] for i in drawn]) for p in good])
        matrix = np.mean(
            [stats._macro_f1(weights[r] @ stats._indicators(gold_i, p, n_classes), n_classes) for p in pred_i]
        )
        assert matrix == pytest.approx(naive, abs=1e-12)


def test_verdicts_on_a_clear_win_a_tie_and_a_loss(rng):
    gold, good, bad = _systems(rng)
    win = stats.method_test(gold, good, bad, resamples=2000, seed=0)
    tie = stats.method_test(gold, good, good.copy(), resamples=2000, seed=0)
    loss = stats.method_test(gold, bad, good, resamples=2000, seed=0)
    assert win.difference > 0.3 and win.interval()[0] > 0 and win.p_value < 0.001
    low, high = tie.interval()  # the same checkpoints as two methods: their seeds still vary
    assert tie.difference == 0 and tie.p_value == 1.0 and low == -high < 0
    assert loss.difference == pytest.approx(-win.difference) and loss.interval()[1] < 0 and loss.p_value < 0.001
    rows = [
        {"dataset": "d", "claim": name, "group": "g", "language": "xx", "difference": r.difference}
        | {"se": r.se, "df": r.df, "p_value": r.p_value}
        for name, r in (("win", win), ("tie", tie), ("loss", loss))
    ]
    verdicts = analysis.finalize_claims(rows, alpha=0.05).set_index("claim")["verdict"].to_dict()
    assert verdicts == {"win": "supported", "tie": "not significant", "loss": "contradicted"}


def test_the_tests_are_seeded_and_reproducible(rng):
    gold, good, bad = _systems(rng)
    first = stats.method_test(gold, good, bad, resamples=2000, seed=7)
    assert stats.method_test(gold, good, bad, resamples=2000, seed=7) == first
    assert stats.bootstrap_interval(gold, good, 2000, 3) == stats.bootstrap_interval(gold, good, 2000, 3)
    assert stats.method_test(gold, good, bad, resamples=2000, seed=8).test_set_variance != first.test_set_variance


def test_a_small_difference_inside_the_noise_is_not_significant(rng):
    gold, good, _ = _systems(rng)
    other = good.copy()
    other[:, :3] = np.array([["c0", "c1", "c2"]] * 3)  # a handful of changed predictions
    result = stats.method_test(gold, good, other, resamples=2000, seed=0)
    assert abs(result.difference) < 0.05 and result.p_value > 0.05


def test_the_method_test_against_a_naive_computation(rng):
    """Welch with a test-set term, written out with loops and scipy's t, on uneven seeds
    (3 vs 1: a deterministic system has no seed variance)."""
    from scipy.stats import t

    gold, good, bad = _systems(rng, 60)
    bad = bad[:1]
    result = stats.method_test(gold, good, bad, resamples=500, seed=3)
    weights = stats.example_weights(np.random.default_rng(3), 500, len(gold))

    def f1(pred, w):
        drawn = np.repeat(np.arange(len(gold)), w.astype(int))
        return metrics.macro_f1([gold[i] for i in drawn], [pred[i] for i in drawn])

    a = np.array([[f1(p, w) for p in good] for w in weights])
    b = np.array([[f1(p, w) for p in bad] for w in weights])
    score_a = [metrics.macro_f1(gold, list(p)) for p in good]
    score_b = [metrics.macro_f1(gold, list(p)) for p in bad]
    cov = lambda x, y: float(np.mean((x - x.mean()) * (y - y.mean())) * len(x) / (len(x) - 1))  # noqa: E731
    within_a = np.mean([cov(a[:, i], a[:, j]) for i in range(3) for j in range(3) if i != j])
    test_set = within_a + cov(b[:, 0], b[:, 0]) - 2 * np.mean([cov(a[:, i], b[:, 0]) for i in range(3)])
    seed_var = np.var(score_a, ddof=1) / 3
    se = np.sqrt(seed_var + test_set)
    difference = np.mean(score_a) - score_b[0]
    df = (seed_var + test_set) ** 2 / (seed_var**2 / 2)
    assert result.difference == pytest.approx(difference, abs=1e-12)
    assert result.test_set_variance == pytest.approx(test_set, rel=1e-9)
    assert result.se == pytest.approx(se, rel=1e-9) and result.df == pytest.approx(df, rel=1e-9)
    assert result.p_value == pytest.approx(2 * t.sf(abs(difference) / se, df), rel=1e-9)


def _null_rejections(rng, seed_offset_sd, example_noise_sd, **scenario):
    """Rejection rates at alpha 0.05 under a method-level null (mosecrot.calibration: two
    equally good methods; new test set and checkpoints in each of 300 simulations)."""
    return calibration.rejection_rates(
        rng, 300, 400, seed_offset_sd=seed_offset_sd, example_noise_sd=example_noise_sd, **scenario
    )


@pytest.mark.parametrize("seed_offset_sd,example_noise_sd", [(0.4, 0.0), (0.05, 1.2)])
def test_the_method_level_test_is_calibrated_under_a_method_level_null(seed_offset_sd, example_noise_sd):
    """Seed spread as in the demo (sd of macro-F1 over seeds 0.03-0.07). The method-level
    test rejects at about alpha; resampling examples only treats the checkpoints as fixed
    and rejects far more often where seeds differ as a whole."""
    rates = _null_rejections(np.random.default_rng(0), seed_offset_sd, example_noise_sd)
    assert 0.015 <= rates["method-level test"] <= 0.085
    if example_noise_sd == 0:
        assert rates["examples only"] > 0.15


def test_the_test_set_term_keeps_the_test_calibrated_when_methods_differ_per_example():
    """Equally good methods that are good at different examples: which examples the test
    set holds decides the winner, so seed variance alone rejects too often."""
    rates = _null_rejections(np.random.default_rng(1), 0.1, 0.3, interaction_sd=2.5)
    assert 0.015 <= rates["method-level test"] <= 0.085 and rates["seed variance only"] > 0.15


def test_methods_that_read_the_same_checkpoints_are_tested_on_paired_seeds():
    """LS and no-swap read the same fine-tuned model of each seed: a seed offset moves both.
    The paired test stays calibrated."""
    rates = _null_rejections(np.random.default_rng(2), 0.4, 0.3, interaction_sd=0.5, shared=True)
    assert 0.015 <= rates["method-level test"] <= 0.085


def test_holm_against_its_definition():
    p = [0.01, 0.04, 0.03, 0.005, 0.5]
    adjusted = stats.holm(p)
    order = np.argsort(p)
    expected = np.maximum.accumulate([min(1, (len(p) - rank) * p[i]) for rank, i in enumerate(order)])
    assert [adjusted[i] for i in order] == pytest.approx(list(expected))
    assert stats.holm([0.5, 0.9]) == [1.0, 1.0]


def test_spearman_permutation_p_is_exact_for_few_points():
    from scipy.stats import permutation_test, spearmanr

    assert stats.spearman_permutation([1, 2], [2, 1]) is None
    rho, p = stats.spearman_permutation([1, 2, 3, 4], [2, 4, 6, 9])
    assert rho == pytest.approx(1.0) and p == pytest.approx(2 / 24)  # the floor at n = 4: never "significant"
    x, y = [0.1, 0.5, 0.2, 0.9, 0.4, 0.3], [0.3, 0.2, 0.1, 0.8, 0.7, 0.35]
    reference = permutation_test(
        (y,), lambda y_: spearmanr(x, y_).statistic, permutation_type="pairings", n_resamples=np.inf
    )
    assert stats.spearman_permutation(x, y) == pytest.approx((spearmanr(x, y).statistic, reference.pvalue))


def test_claims_are_checked_per_weighting_never_the_best_one(rng):
    claims = analysis.claim_list(["rr-standard", "rr-softmax", "ls", "multilingual", "lr"], ["fr", "mt"], seen=["fr"])
    texts = {c.text for c in claims}
    assert {"rr-standard beats LS", "rr-softmax beats LS"} <= texts
    seen = [c for c in claims if c.text.startswith("multilingual beats")]
    unseen = [c for c in claims if c.text.endswith("(unseen languages)")]
    assert all(c.languages == ("fr",) for c in seen) and all(c.languages == ("mt",) for c in unseen)
    assert not any("best" in c.text for c in claims)
    assert isinstance(analysis.finalize_claims([], 0.05), pd.DataFrame)


# --------------------------------------------------------------------------- power


def _simulated_power(difference: float, se: float, df: float, alpha: float, draws: int = 400_000) -> float:
    """A t statistic by its definition (a normal over an independent chi-square's root), no
    noncentral distribution: how often |t| passes the critical value."""
    from scipy.stats import t

    rng = np.random.default_rng(11)
    statistic = (difference / se + rng.standard_normal(draws)) / np.sqrt(rng.chisquare(df, draws) / df)
    return float((np.abs(statistic) > t.ppf(1 - alpha / 2, df)).mean())


@pytest.mark.parametrize(("df", "alpha"), [(2.0, 0.05), (3.5, 0.05 / 70), (12.0, 0.01)])
def test_the_detectable_difference_is_found_with_80_percent_power_by_simulation(df, alpha):
    se = 0.04
    detectable = stats.detectable_difference(se, df, alpha)
    assert _simulated_power(detectable, se, df, alpha) == pytest.approx(0.8, abs=0.004)  # sd of the draw: 0.0006
    assert _simulated_power(0.8 * detectable, se, df, alpha) < 0.75


def test_the_detectable_difference_in_the_normal_limit_and_its_edges():
    from scipy.stats import norm

    # Infinite df: the textbook (z_{1-alpha/2} + z_power) * se, the far tail being negligible.
    assert stats.detectable_difference(0.05, float("inf"), 0.05) == pytest.approx(
        0.05 * (norm.ppf(0.975) + norm.ppf(0.8)), rel=1e-4
    )
    assert stats.detectable_difference(0.05, 1e7, 0.05) == pytest.approx(
        stats.detectable_difference(0.05, float("inf"), 0.05), rel=1e-4
    )
    assert stats.detectable_difference(0.0, 3.0, 0.05) == 0.0
    # Fewer degrees of freedom and a stricter level both need a larger difference.
    assert stats.detectable_difference(0.05, 2, 0.05) > stats.detectable_difference(0.05, 8, 0.05)
    assert stats.detectable_difference(0.05, 8, 0.05 / 70) > stats.detectable_difference(0.05, 8, 0.05)


def _naive_detectable(var_a, var_b, test_set, m, alpha):
    """se and Welch df written out for m seeds of both methods."""
    parts = [v / m for v in (var_a, var_b) if v > 0]
    variance = sum(parts) + test_set
    df = variance**2 / sum(p**2 / (m - 1) for p in parts)
    return stats.detectable_difference(np.sqrt(variance), df, alpha)


def test_seeds_needed_is_the_first_seed_count_that_detects_the_difference():
    var_a, var_b, test_set, alpha = 0.004, 0.001, 0.0002, 0.05 / 20
    m = stats.seeds_needed((var_a, var_b), test_set, 0.1, alpha)
    assert m is not None and m > 2
    assert (
        _naive_detectable(var_a, var_b, test_set, m, alpha)
        <= 0.1
        < _naive_detectable(var_a, var_b, test_set, m - 1, alpha)
    )
    # A deterministic method (LR) keeps one evaluation and no seed variance.
    assert stats.seeds_needed((var_a, 0.0), test_set, 0.1, alpha, deterministic=(False, True)) <= m
    # The test-set term does not shrink with seeds: past its floor no seed count is enough.
    floor = stats.detectable_difference(np.sqrt(test_set), float("inf"), alpha)
    assert stats.seeds_needed((var_a, var_b), test_set, 0.99 * floor, alpha) is None


def test_every_tested_claim_says_what_it_could_detect(rng):
    gold, good, bad = _systems(rng)
    rows = [
        {"claim": name, "group": "g", "language": "fr", "better": "a", "worse": "b"}
        | {"difference": r.difference, "se": r.se, "df": r.df, "p_value": r.p_value}
        for name, r in (
            ("win", stats.method_test(gold, good, bad, 1000, 0)),
            ("tie", stats.method_test(gold, good, good[::-1], 1000, 0)),
        )
    ]
    frame = analysis.finalize_claims(rows + [{"claim": "one seed", "untested": "one seed"}], 0.05)
    tested = frame[frame["verdict"] != "untested"]
    # Larger than the simultaneous interval's half-width (the same level, plus the power).
    assert (tested["detectable"] > (tested["ci_high"] - tested["ci_low"]) / 2).all()
    for row in tested.itertuples():
        assert row.detectable == pytest.approx(stats.detectable_difference(row.se, row.df, 0.05 / 2))
    assert frame.set_index("claim")["detectable"].isna()["one seed"]
