"""The claims a run tests: which pairs of methods, one method-level test per claim and
language, Holm over the family, verdicts and simultaneous intervals."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mosecrot import plan, stats
from mosecrot.analysis.evaluations import DETERMINISTIC, WEIGHTINGS, Evaluations, is_stitched, method_order

ONE_SEED = "one seed, no seed variance"  # why a claim with a one-seed stochastic method is untested


@dataclass(frozen=True)
class Claim:
    """'better' beats 'worse' (a difference better - worse > 0 is what the claim says)."""

    text: str
    better: str
    worse: str
    languages: tuple[str, ...]
    group: str  # the claim family a row belongs to (one line in the findings)


def claim_list(methods: list[str], languages: list[str], seen: list[str]) -> list[Claim]:
    """The paper's claims, each for every RR weighting separately (never the best one picked
    on the test set), the peer comparisons, and each stitched method against the
    multilingual baseline and against no swap at all. Each pair of methods is tested once
    per language: the first claim that names a pair keeps it (the paper's direction)."""
    present = set(methods)
    seen_langs = tuple(lang for lang in languages if lang in seen)
    unseen = tuple(lang for lang in languages if lang not in seen)
    every = tuple(languages)
    candidates: list[Claim] = []
    for weighting in WEIGHTINGS:
        rr = f"rr-{weighting}"
        if rr not in present:
            continue
        candidates += [
            Claim(f"{rr} beats LS", rr, "ls", every, "RR beats the LS baseline"),
            Claim(
                f"multilingual beats {rr} (seen languages)",
                "multilingual",
                rr,
                seen_langs,
                "the multilingual baseline beats RR on languages it was pre-trained on",
            ),
            Claim(
                f"{rr} beats multilingual (unseen languages)",
                rr,
                "multilingual",
                unseen,
                "RR beats the multilingual baseline on languages it did not see",
            ),
            Claim(f"LR beats {rr}", "lr", rr, every, "the target-trained LR (not zero-shot) beats RR"),
            Claim(f"WECHSEL beats {rr}", "wechsel", rr, every, "WECHSEL beats RR"),
            Claim(f"FOCUS beats {rr}", "focus", rr, every, "FOCUS beats RR"),
            Claim(f"{rr}-aligned beats {rr}", f"{rr}-aligned", rr, every, "aligned similarity spaces improve RR"),
        ]
    for weighting in WEIGHTINGS:
        rr = f"rr-{weighting}"
        candidates.append(
            Claim(
                f"{rr} beats dict", rr, "dict", every, "RR beats the dictionary-only control (what static vectors add)"
            )
        )
    for method in method_order(present):
        if method.endswith("-cs"):  # the configured rate; the -r/-disjoint ablations are one-seed
            base = method.removesuffix("-cs")
            candidates.append(
                Claim(
                    f"{method} beats {base}", method, base, every, "code-switched fine-tuning improves its base method"
                )
            )
    for method in method_order(present):
        if "-nodict" in method:  # the twin reads the induced dictionary where `method` reads the real one
            twin = method.replace("-nodict", "")
            candidates.append(
                Claim(
                    f"{twin} beats {method}",
                    twin,
                    method,
                    every,
                    "the dictionary beats its dictionary-free twin (what the dictionary buys)",
                )
            )
            if method.startswith("rr-") and plan.codeswitch_base(method) == method:
                candidates.append(
                    Claim(
                        f"{method} beats focus",
                        method,
                        "focus",
                        every,
                        "dictionary-free RR beats FOCUS (neither reads a dictionary)",
                    )
                )
        if "-refined" in method:
            base = method.replace("-refined", "")
            candidates.append(
                Claim(f"{method} beats {base}", method, base, every, "the refined alignment improves its method")
            )
        anchor_set = re.match(r"^(rr-(?:standard|softmax|sparsemax))-a(?!ligned\b)([a-z0-9]+)$", method)
        if anchor_set:
            candidates.append(
                Claim(
                    f"{method} beats {anchor_set[1]}",
                    method,
                    anchor_set[1],
                    every,
                    "another anchor set improves RR over the main one",
                )
            )
    stitched = [m for m in method_order(present) if is_stitched(m)]
    for baseline, group in (
        ("multilingual", "a stitched method beats the multilingual baseline"),
        ("no-swap", "a stitched method beats no swap (the English model reading target text)"),
    ):
        candidates += [Claim(f"{m} beats {baseline}", m, baseline, every, group) for m in stitched]
    claims, tested = [], set()
    for claim in candidates:
        if claim.better not in present or claim.worse not in present:
            continue
        pair = frozenset((claim.better, claim.worse))
        langs = tuple(lang for lang in claim.languages if (pair, lang) not in tested)
        tested.update((pair, lang) for lang in langs)
        if langs:
            claims.append(Claim(claim.text, claim.better, claim.worse, langs, claim.group))
    return claims


def test_claims(
    evaluations: Evaluations, dataset: str, claims: list[Claim], resamples: int, seed: int, default_k=50
) -> list[dict]:
    """One method-level test per claim and language (stats.method_test), seeds paired where
    both methods read the same fine-tuned model of each seed (LS, Procrustes, WECHSEL,
    FOCUS and no-swap all read the original model). Left untested, out of the family, with the reason: a
    stochastic method with one seed (no seed variance to test with), and a -tuned variant
    whose predictions equal its base method's in every seed (fine-tuning moved none of the
    anchor rows its test words use: testing it would count the base method twice)."""
    rows = []
    for claim in claims:
        for lang in claim.languages:
            better = evaluations.predictions(dataset, lang, claim.better)
            worse = evaluations.predictions(dataset, lang, claim.worse)
            if not better or not worse:
                continue
            row = {
                "dataset": dataset,
                "claim": claim.text,
                "group": claim.group,
                "language": lang,
                "better": claim.better,
                "worse": claim.worse,
                "seeds_better": len(better),
                "seeds_worse": len(worse),
            }
            single = [m for m, runs in ((claim.better, better), (claim.worse, worse)) if len(runs) == 1]
            if any(m not in DETERMINISTIC for m in single):
                rows.append(row | {"untested": f"{' and '.join(single)}: {ONE_SEED}"})
                continue
            same = [
                m
                for m, runs in ((claim.better, better), (claim.worse, worse))
                if m.endswith("-tuned") and runs == evaluations.predictions(dataset, lang, m.removesuffix("-tuned"))
            ]
            if same:
                rows.append(row | {"untested": f"{same[0]}: the same predictions as its base method in every seed"})
                continue
            models = {_trained_model(m, default_k) for m in (claim.better, claim.worse)}
            shared = len(models) == 1 and None not in models and sorted(better) == sorted(worse)
            result = stats.method_test(
                evaluations.gold[(dataset, lang)],
                np.array([better[s] for s in sorted(better)]),
                np.array([worse[s] for s in sorted(worse)]),
                resamples,
                seed,
                shared_checkpoints=shared,
            )
            a_scores = dict(zip(sorted(better), result.seed_scores_a))
            b_scores = dict(zip(sorted(worse), result.seed_scores_b))
            paired = _per_seed_differences(a_scores, b_scores)
            rows.append(
                row
                | {
                    "difference": result.difference,
                    "se": result.se,
                    "df": result.df,
                    "p_value": result.p_value,
                    "per_seed_differences": " ".join(f"{d:+.3f}" for d in paired),
                    "seeds_paired": shared,
                    "resamples": result.resamples,
                    # Standard deviations (macro-F1 units: the 4 decimals of the CSV keep them),
                    # what make plan's pilot reads back.
                    "seed_sd_better": math.sqrt(result.seed_variances[0]),
                    "seed_sd_worse": math.sqrt(result.seed_variances[1]),
                    "test_set_sd": math.sqrt(result.test_set_variance),
                }
            )
    return rows


def _trained_model(name: str, default_k) -> str | None:
    """The fine-tuned model a method reads (None: none, or a name outside the grammar)."""
    from mosecrot import plan

    try:
        return plan.parse_method(name, default_k).training
    except ValueError:
        return None


def _per_seed_differences(a: dict[int, float], b: dict[int, float]) -> list[float]:
    """better - worse for each seed both have (a deterministic method counts for every seed)."""
    if len(a) == 1 and len(b) > 1:
        a = dict.fromkeys(b, next(iter(a.values())))
    if len(b) == 1 and len(a) > 1:
        b = dict.fromkeys(a, next(iter(b.values())))
    return [a[s] - b[s] for s in sorted(set(a) & set(b))]


POWER = 0.8  # the power at which a claim row states the difference this run could detect


def finalize_claims(rows: list[dict], alpha: float) -> pd.DataFrame:
    """Holm-correct the family of tested rows, give each row its verdict, a simultaneous
    interval (Bonferroni: each at level 1 - alpha/m, so all m cover together with
    probability >= 1 - alpha) and the smallest true difference it could detect with 80%
    power at alpha/m (`detectable`): Holm's first, strictest step, at which a row is rejected
    whatever the other rows' p-values; from the row's own standard error and degrees of
    freedom, taken as the true ones."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["dataset", "claim", "language", "difference", "p_holm", "verdict"])
    for column in ("difference", "se", "df", "p_value", "untested"):
        if column not in frame:
            frame[column] = np.nan
    tested = frame["p_value"].notna()
    frame["p_holm"] = np.nan
    frame.loc[tested, "p_holm"] = stats.holm(frame.loc[tested, "p_value"].tolist())
    family = int(tested.sum())
    half = stats.t_half_width(frame["se"], frame["df"], 1 - alpha / max(family, 1))
    # A difference of two macro-F1 scores lies in [-1, 1]: with two or three seeds the t
    # quantile at the family's level can reach far past that.
    frame["ci_low"] = np.clip(frame["difference"] - half, -1.0, 1.0)
    frame["ci_high"] = np.clip(frame["difference"] + half, -1.0, 1.0)
    frame["ci_level"] = 1 - alpha / max(family, 1)
    frame["detectable"] = [
        stats.detectable_difference(se, df, alpha / max(family, 1), POWER) if ok else np.nan
        for se, df, ok in zip(frame["se"], frame["df"], tested)
    ]
    significant = frame["p_holm"] < alpha
    frame["verdict"] = np.where(
        ~tested,
        "untested",
        np.where(
            significant & (frame["difference"] > 0),
            "supported",
            np.where(significant & (frame["difference"] < 0), "contradicted", "not significant"),
        ),
    )
    return frame


def claims_markdown(claims: pd.DataFrame, alpha: float) -> str:
    if claims.empty:
        return "No claim could be tested in this run (a compared method is not configured).\n"
    tested = claims[claims["verdict"] != "untested"]
    lines = [
        f"Method-level tests: seeds and test examples are both random (Welch t on the seed means, with the "
        f"test-set variance from a paired bootstrap over the examples; README, Statistics). Holm-corrected over "
        f"the {len(tested)} tested comparisons, alpha = {alpha}; each pair of methods is tested once per "
        f"language. Difference = first method minus second (macro-F1). Intervals are simultaneous over the "
        f"family (Bonferroni, each at {1 - alpha / max(len(tested), 1):.4f}); Holm can reject where such an "
        'interval still touches 0. "Not significant" means the data cannot tell the methods apart at this '
        "size, not that they are equal. Detectable: the smallest true difference this row's test would find "
        f"with {POWER:.0%} power at Holm's strictest level (alpha / {max(len(tested), 1)}), from its own "
        "standard error and degrees of freedom; a smaller true difference is likely to be missed.",
        "",
        "| dataset | claim | language | difference [simultaneous CI] | detectable | per-seed differences | seeds | p "
        "| p (Holm) | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in claims.itertuples():
        seeds = f"{row.seeds_better} vs {row.seeds_worse}"
        if row.verdict == "untested":
            lines.append(
                f"| {row.dataset} | {row.claim} | {row.language} | – | – | – | {seeds} | – | – "
                f"| untested: {row.untested} |"
            )
            continue
        lines.append(
            f"| {row.dataset} | {row.claim} | {row.language} | {row.difference:+.3f} "
            f"[{row.ci_low:+.3f}, {row.ci_high:+.3f}] | {row.detectable:.3f} | {row.per_seed_differences} | {seeds} "
            f"| {row.p_value:.4f} | "
            f"{row.p_holm:.4f} | {row.verdict} |"
        )
    return "\n".join(lines) + "\n"
