"""The claims, tables and costs of the analysis on crafted evaluations whose answers are
known: each pair of methods tested once, one-seed rows never passed off as methods, chance
rows, sweeps on equal seeds, and the swap cost net of the multilingual model's own drop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mosecrot import analysis, stats
from mosecrot.analysis.claims import _per_seed_differences

LABELS = [f"c{i}" for i in range(4)]


def _evaluations(rng, accuracies: dict[tuple[str, str], tuple[float, int]], n=120) -> analysis.Evaluations:
    """(language, method) -> (accuracy, seeds): predictions right with that probability."""
    gold = {lang: list(rng.choice(LABELS, n)) for lang in {lang for lang, _ in accuracies}}
    rows, predicted = [], {}
    for (lang, method), (accuracy, seeds) in accuracies.items():
        for seed in range(seeds):
            labels = [g if rng.random() < accuracy else str(rng.choice(LABELS)) for g in gold[lang]]
            predicted.setdefault(("d", lang, method), {})[seed] = labels
            hit = np.mean([a == b for a, b in zip(labels, gold[lang])])
            rows.append(
                {
                    "dataset": "d",
                    "language": lang,
                    "method": method,
                    "seed": seed,
                    "zero_shot": method != "lr",
                    "macro_f1": stats.point_estimate(gold[lang], np.array([labels])),
                    "accuracy": hit,
                    "chance_macro_f1": 0.1,
                    "uniform_macro_f1": 0.25,
                    "anchors": None,
                    "oov_rate": None,
                    "n_examples": n,
                }
            )
    return analysis.Evaluations(pd.DataFrame(rows), {("d", lang): g for lang, g in gold.items()}, predicted, [])


def test_each_pair_of_methods_is_tested_once_per_language():
    methods = ["rr-standard", "rr-softmax", "ls", "multilingual", "lr", "no-swap", "wechsel", "rr-standard-aligned"]
    claims = analysis.claim_list(methods, ["fr", "mt"], seen=["fr"])
    pairs = [(frozenset((c.better, c.worse)), lang) for c in claims for lang in c.languages]
    assert len(pairs) == len(set(pairs))
    # The paper's direction wins: on a seen language the multilingual baseline is the claimant.
    rr_vs_multi = {(c.text, c.languages) for c in claims if {c.better, c.worse} == {"rr-standard", "multilingual"}}
    assert rr_vs_multi == {
        ("multilingual beats rr-standard (seen languages)", ("fr",)),
        ("rr-standard beats multilingual (unseen languages)", ("mt",)),
    }
    assert {"wechsel beats multilingual", "wechsel beats no-swap", "rr-standard beats no-swap"} <= {
        c.text for c in claims
    }
    assert not any(c.better == "no-swap" or "lr beats no-swap" in c.text for c in claims)


def test_a_one_seed_method_is_untested_and_stays_out_of_the_family(rng):
    evaluations = _evaluations(rng, {("fr", "rr-standard"): (0.5, 3), ("fr", "ls"): (0.9, 1), ("fr", "lr"): (0.95, 1)})
    claims = [
        analysis.Claim("rr-standard beats LS", "rr-standard", "ls", ("fr",), "g"),
        analysis.Claim("LR beats rr-standard", "lr", "rr-standard", ("fr",), "h"),
    ]
    frame = analysis.finalize_claims(analysis.test_claims(evaluations, "d", claims, 1000, 0), 0.05)
    by_claim = frame.set_index("claim")
    assert by_claim.loc["rr-standard beats LS", "verdict"] == "untested"
    assert "ls: one seed" in by_claim.loc["rr-standard beats LS", "untested"]
    assert by_claim.loc["LR beats rr-standard", "verdict"] == "supported"  # LR is deterministic
    assert len(by_claim.loc["LR beats rr-standard", "per_seed_differences"].split()) == 3
    # The family holds one test: Holm and the simultaneous interval are those of one test.
    row = by_claim.loc["LR beats rr-standard"]
    assert row["p_holm"] == row["p_value"] and row["ci_level"] == pytest.approx(0.95)
    assert _per_seed_differences({0: 0.9}, {0: 0.5, 1: 0.6, 2: 0.4}) == pytest.approx([0.4, 0.3, 0.5])
    assert _per_seed_differences({0: 0.5, 1: 0.6}, {1: 0.4, 2: 0.1}) == pytest.approx([0.2])  # seed 1 only
    assert "untested" in analysis.claims_markdown(frame, 0.05)


def test_simultaneous_intervals_widen_with_the_family(rng):
    evaluations = _evaluations(rng, {("fr", "a"): (0.8, 3), ("fr", "b"): (0.5, 3), ("fr", "c"): (0.6, 3)})
    one = analysis.Claim("a beats b", "a", "b", ("fr",), "g")
    rows = analysis.test_claims(evaluations, "d", [one], 1000, 0)
    alone = analysis.finalize_claims(rows, 0.05).iloc[0]
    more = analysis.test_claims(evaluations, "d", [one, analysis.Claim("c beats b", "c", "b", ("fr",), "g")], 1000, 0)
    family = analysis.finalize_claims(more, 0.05).iloc[0]
    assert family["ci_level"] == pytest.approx(0.975)
    assert family["ci_low"] < alone["ci_low"] and family["ci_high"] > alone["ci_high"]
    # ... and so does what a row can detect: Holm's strictest level is alpha / family.
    assert family["detectable"] > alone["detectable"]
    frame = analysis.finalize_claims(more, 0.05)
    assert f"| {frame['detectable'].iloc[0]:.3f} |" in analysis.claims_markdown(frame, 0.05)
    paragraph = analysis.summary_paragraph(
        frame, pd.DataFrame(), pd.DataFrame(columns=["dataset", "language", "zero_shot"]), 0.05
    )
    low, high = sorted(frame["detectable"])
    assert f"(of 2); its tests detect true differences of {low:.3f} to {high:.3f} or more with 80% power" in paragraph
    assert f"a true difference below {low:.3f} would likely be missed by all" in paragraph


def test_main_table_marks_one_seed_rows_bolds_only_comparable_means_and_shows_both_chance_lines(rng):
    rows = []
    for method, mean, seeds in (
        ("rr-standard", 0.40, 3),
        ("rr-standard-k10", 0.60, 1),
        ("ls", 0.45, 3),
        ("lr", 0.9, 1),
    ):
        rows.append(
            {
                "dataset": "d",
                "language": "fr",
                "method": method,
                "zero_shot": method != "lr",
                "n_seeds": seeds,
                "macro_f1_mean": mean,
                "macro_f1_sd": 0.0 if seeds == 1 else 0.02,
                "macro_f1_ci_low": mean - 0.05,
                "macro_f1_ci_high": mean + 0.05,
                "chance_macro_f1": 0.013,
                "uniform_macro_f1": 0.083,
            }
        )
    _, text = analysis.paper_table(pd.DataFrame(rows), "d")
    lines = {line.split(" | ")[0].strip("| "): line for line in text.splitlines()}
    assert "(1 seed)" in lines["rr-standard-k10"] and "± 0.000" not in text
    assert "(deterministic)" in lines["lr (not zero-shot)"]
    assert "**0.450" in lines["ls"] and "**" not in lines["rr-standard-k10"]
    assert "0.083" in lines["chance (uniform guess)"] and "0.013" in lines["chance (majority)"]


def test_a_sweep_compares_its_points_with_the_main_method_on_the_same_seeds(rng):
    evaluations = _evaluations(rng, {("fr", "rr-standard"): (0.6, 3), ("fr", "rr-standard-k10"): (0.6, 1)})
    rows = {"k=10": "rr-standard-k10", "k=50": "rr-standard"}
    summary = analysis.sweep_summary(evaluations, rows, [0], 1000, 0)
    part = summary.set_index("method")
    assert part.loc["rr-standard", "n_seeds"] == 1
    seed0 = evaluations.per_seed.query("method == 'rr-standard' and seed == 0")["macro_f1"].iloc[0]
    assert part.loc["rr-standard", "macro_f1_mean"] == pytest.approx(seed0)
    assert "(1 seed)" in analysis.sweep_table(summary, "d", rows)[1]
    both = _evaluations(rng, {("fr", "rr-standard"): (0.6, 2), ("fi", "rr-standard"): (0.6, 2)})
    both.predicted[("d", "fr", "rr-standard-k10")] = {0: both.predicted[("d", "fr", "rr-standard")][0]}
    table = analysis.sweep_table(analysis.sweep_summary(both, rows, [0], 500, 0), "d", rows, ["fr"])[1]
    assert table.splitlines()[0] == "| method | fr | avg |"  # the sweep's languages only


def test_the_swap_cost_is_the_transfer_cost_net_of_the_multilingual_models_own_drop(rng):
    """Crafted: the English set is easy for everyone, the target set hard for everyone; the
    stitched model loses only a little more than the multilingual model does."""
    evaluations = _evaluations(
        rng,
        {
            ("en", "original"): (0.95, 3),
            ("en", "multilingual"): (0.95, 3),
            ("fr", "multilingual"): (0.55, 3),
            ("fr", "ls"): (0.5, 3),
        },
    )
    english = analysis.Evaluations(pd.DataFrame(columns=["language"]), {}, {}, [])
    costs = analysis.transfer_costs(evaluations, english, ["ls", "multilingual"], 50, 1000, 0).set_index("method")
    ls = costs.loc["ls"]
    assert ls["transfer_cost"] == pytest.approx(ls["stitched_english_f1"] - ls["target_f1"])
    assert ls["swap_cost"] == pytest.approx(ls["transfer_cost"] - ls["multilingual_drop"], abs=1e-12)
    assert ls["multilingual_drop"] > 0.3 and abs(ls["swap_cost"]) < ls["transfer_cost"] / 3
    assert ls["swap_ci_low"] < ls["swap_cost"] < ls["swap_ci_high"]
    assert pd.isna(costs.loc["multilingual"].get("swap_cost"))
    # LS keeps the original rows on English: the same checkpoints, so no stitching cost at all.
    assert ls["stitching_cost"] == 0 and ls["stitching_ci_low"] == ls["stitching_ci_high"] == 0


def test_a_tuned_variant_that_fine_tuning_left_unchanged_is_said_to_be_its_base_method(rng):
    evaluations = _evaluations(rng, {("fr", "rr-standard"): (0.5, 2)})
    evaluations.predicted[("d", "fr", "rr-standard-tuned")] = dict(evaluations.predicted[("d", "fr", "rr-standard")])
    evaluations.predicted[("d", "fr", "rr-standard-tuned")][1] = ["c0"] * 120  # one seed differs
    tuned = evaluations.per_seed.assign(
        method="rr-standard-tuned", tuned_anchors_changed=[0, 4], tuned_anchor_tokens=900
    )
    evaluations.per_seed = pd.concat([evaluations.per_seed, tuned], ignore_index=True)
    (line,) = analysis.tuned_variants(evaluations)
    assert "changed 2 of 900 anchor tokens" in line and "identical to rr-standard in 1 of 2 seeds" in line
    evaluations.predicted[("d", "fr", "rr-standard-tuned")][1] = evaluations.predicted[("d", "fr", "rr-standard")][1]
    assert "is rr-standard again, not a finding" in analysis.tuned_variants(evaluations)[0]


def test_alignment_against_transfer_takes_one_point_per_word_level_construction():
    summary = pd.DataFrame(
        [
            {"dataset": "d", "language": lang, "method": m, "macro_f1_mean": f1, "n_seeds": 3}
            for lang, m, f1 in (
                ("fr", "rr-standard", 0.4),
                ("fr", "ls", 0.5),
                ("fr", "wechsel", 0.6),
                ("fr", "rr-standard-tuned", 0.41),
                ("fr", "multilingual", 0.8),
                ("fi", "rr-standard", 0.3),
                ("en", "rr-standard", 0.9),
            )
        ]
    )
    diagnostics = {
        ("fr", "rr standard-k50-main-plm"): {
            "lexicon_induction": {"p@1": 0.9},
            "lexicon_induction_built": {"p@1": 0.1},
        },
        ("fr", "ls"): {"lexicon_induction": {"p@1": 0.2}},
        ("fr", "wechsel"): {"lexicon_induction": {"p@1": 0.3}},
        ("fi", "rr standard-k50-main-plm"): {
            "lexicon_induction": {"p@1": 0.5},
            "lexicon_induction_built": {"p@1": 0.05},
        },
    }
    methods = ["rr-standard", "ls", "wechsel", "rr-standard-tuned", "multilingual"]
    points, (rho, p) = analysis.alignment_vs_transfer(summary, diagnostics, methods, 50)
    by = points.set_index(["language", "method"])["lexicon_induction_p1"].to_dict()
    # RR through its built rows, not the weighting-blind relative-space number; no -tuned, no multilingual.
    assert by == {("fr", "rr-standard"): 0.1, ("fr", "ls"): 0.2, ("fr", "wechsel"): 0.3, ("fi", "rr-standard"): 0.05}
    # Within languages only (fi has one point: no rank correlation there); y permuted within fr.
    assert rho == pytest.approx(1.0) and p == pytest.approx(2 / 6, abs=0.01)


def test_methods_on_the_same_checkpoints_are_paired_and_a_vacuous_tuned_variant_is_untested(rng):
    evaluations = _evaluations(
        rng, {("fr", "ls"): (0.6, 3), ("fr", "no-swap"): (0.5, 3), ("fr", "rr-standard"): (0.4, 3)}
    )
    evaluations.predicted[("d", "fr", "rr-standard-tuned")] = dict(evaluations.predicted[("d", "fr", "rr-standard")])
    claims = [
        analysis.Claim("ls beats no-swap", "ls", "no-swap", ("fr",), "g"),
        analysis.Claim("rr-standard beats no-swap", "rr-standard", "no-swap", ("fr",), "g"),
        analysis.Claim("rr-standard-tuned beats no-swap", "rr-standard-tuned", "no-swap", ("fr",), "g"),
    ]
    frame = analysis.finalize_claims(analysis.test_claims(evaluations, "d", claims, 500, 0, 50), 0.05)
    rows = frame.set_index("claim")
    assert rows.loc["ls beats no-swap", "seeds_paired"]  # both read the original model of each seed
    assert not rows.loc["rr-standard beats no-swap", "seeds_paired"]
    assert rows.loc["rr-standard-tuned beats no-swap", "verdict"] == "untested"
    assert "same predictions as its base method" in rows.loc["rr-standard-tuned beats no-swap", "untested"]


def test_peers_are_labelled_as_evaluated_without_continued_pre_training():
    summary = pd.DataFrame(
        [
            {
                "dataset": "d",
                "language": "fr",
                "method": m,
                "zero_shot": True,
                "n_seeds": 3,
                "macro_f1_mean": 0.5,
                "macro_f1_sd": 0.01,
                "macro_f1_ci_low": 0.4,
                "macro_f1_ci_high": 0.6,
                "chance_macro_f1": 0.1,
                "uniform_macro_f1": 0.2,
            }
            for m in ("wechsel", "focus", "ls")
        ]
    )
    text = analysis.paper_table(summary, "d")[1]
    assert "| wechsel (zero-shot, without the continued pre-training it was published with) |" in text
    assert "| focus (zero-shot, without" in text and "| ls |" in text


def test_the_swap_cost_of_an_rr_method_reads_its_stitched_model_on_english(rng):
    evaluations = _evaluations(
        rng,
        {
            ("en", "original"): (0.95, 3),
            ("en", "multilingual"): (0.95, 3),
            ("fr", "multilingual"): (0.6, 3),
            ("fr", "rr-standard"): (0.3, 3),
        },
    )
    english = _evaluations(rng, {("en", "fr/rr-standard"): (0.7, 3)})
    english.gold[("d", "en")] = evaluations.gold[("d", "en")]
    # The stitched model on English: its own predictions (on the run's English test set).
    english.predicted[("d", "en", "fr/rr-standard")] = {
        s: [g if rng.random() < 0.7 else "c0" for g in evaluations.gold[("d", "en")]] for s in range(3)
    }
    row = analysis.transfer_costs(evaluations, english, ["rr-standard", "multilingual"], 50, 500, 0)
    row = row.set_index("method").loc["rr-standard"]
    stitched = np.mean(
        [
            stats.point_estimate(evaluations.gold[("d", "en")], np.array([p]))
            for p in english.predicted[("d", "en", "fr/rr-standard")].values()
        ]
    )
    assert row["stitched_english_f1"] == pytest.approx(stitched)
    assert row["stitching_cost"] == pytest.approx(row["reference_english_f1"] - stitched)
    assert row["swap_cost"] == pytest.approx(row["transfer_cost"] - row["multilingual_drop"])


def test_code_switching_and_the_dictionary_control_have_their_claims():
    methods = ["rr-standard", "rr-standard-cs", "wechsel", "wechsel-cs", "dict", "multilingual", "rr-softmax"]
    claims = analysis.claim_list(methods, ["fr", "fi"], seen=["fr", "fi"])
    texts = {c.text: c for c in claims}
    assert texts["rr-standard-cs beats rr-standard"].group == "code-switched fine-tuning improves its base method"
    assert "wechsel-cs beats wechsel" in texts
    assert {"rr-standard beats dict", "rr-softmax beats dict"} <= set(texts)
    assert "rr-standard-cs beats multilingual" in texts and "wechsel-cs beats multilingual" in texts
    assert "dict beats multilingual" not in texts  # a control, not a stitched method
    pairs = [(frozenset((c.better, c.worse)), lang) for c in claims for lang in c.languages]
    assert len(pairs) == len(set(pairs))
    # The sweep's one-seed points sit after their base method in every table.
    assert analysis.method_order(methods + ["rr-standard-cs-r10", "rr-standard-cs-disjoint"]) == [
        "multilingual",
        "wechsel",
        "wechsel-cs",
        "dict",
        "rr-standard",
        "rr-standard-cs",
        "rr-standard-cs-disjoint",
        "rr-standard-cs-r10",
        "rr-softmax",
    ]


def test_dictionary_free_twins_refinement_and_anchor_sets_have_their_claims():
    methods = [
        "rr-softmax",
        "rr-softmax-nodict",
        "wechsel",
        "wechsel-nodict",
        "wechsel-refined",
        "wechsel-cs",
        "wechsel-nodict-cs",
        "focus",
        "rr-softmax-aonetoone",
        "multilingual",
    ]
    claims = {c.text: c for c in analysis.claim_list(methods, ["fr", "fi"], seen=["fr", "fi"])}
    twin = "the dictionary beats its dictionary-free twin (what the dictionary buys)"
    assert {claims[t].group for t in ("rr-softmax beats rr-softmax-nodict", "wechsel beats wechsel-nodict")} == {twin}
    assert claims["wechsel-cs beats wechsel-nodict-cs"].group == twin
    assert (claims["rr-softmax-nodict beats focus"].better, claims["rr-softmax-nodict beats focus"].worse) == (
        "rr-softmax-nodict",
        "focus",
    )
    assert "wechsel-nodict beats focus" not in claims  # the FOCUS comparison is for RR
    assert claims["wechsel-refined beats wechsel"].group == "the refined alignment improves its method"
    assert claims["rr-softmax-aonetoone beats rr-softmax"].worse == "rr-softmax"
    assert "rr-softmax-nodict beats multilingual" in claims and "wechsel-refined beats multilingual" in claims
