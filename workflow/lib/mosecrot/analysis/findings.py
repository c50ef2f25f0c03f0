"""The findings README: the opening paragraph, the best stitched method, alignment against
transfer, what -tuned and code-switching changed, and the diagnostics table."""

from __future__ import annotations

import pandas as pd

from mosecrot import stats
from mosecrot.analysis.alignments import INDUCED
from mosecrot.analysis.claims import ONE_SEED, POWER
from mosecrot.analysis.evaluations import Evaluations, is_stitched


def _verdict_counts(rows: pd.DataFrame) -> str:
    counts = rows["verdict"].value_counts()
    order = ("supported", "contradicted", "not significant", "untested")
    return ", ".join(f"{counts.get(v, 0)} {v}" for v in order if counts.get(v, 0))


def _detectable_range(rows: pd.DataFrame) -> str:
    """What a claim family's tests could detect: the range and median of their rows'
    detectable differences (claims.finalize_claims), or why there is none."""
    if "detectable" not in rows or rows["detectable"].isna().all():
        return "nothing tested, so nothing detectable"
    found = rows["detectable"].dropna()
    if len(found) == 1:
        return (
            f"its test detects a true difference of {found.iloc[0]:.3f} or more with {POWER:.0%} power, and would "
            "likely miss a smaller one"
        )
    # A row that is not significant observed less than its own detectable difference (it would
    # have been rejected at Holm's first step otherwise): the range says what each verdict can mean.
    return (
        f"its tests detect true differences of {found.min():.3f} to {found.max():.3f} or more with {POWER:.0%} power "
        f"(median {found.median():.3f}); a true difference below {found.min():.3f} would likely be missed by all"
    )


def one_seed_warning(claims: pd.DataFrame) -> str | None:
    """The warning a run whose claims a one-seed method leaves untested must carry (a pilot)."""
    if claims.empty or "untested" not in claims:
        return None
    single = claims["untested"].astype("string").fillna("").str.contains(ONE_SEED, regex=False)
    if not single.any():
        return None
    return (
        f"**Warning: {int(single.sum())} of {len(claims)} claims are untested because a method they compare has "
        "one seed (a pilot run): a method-level test needs a seed-to-seed variance, so these rows have no verdict "
        "and the one-seed scores' intervals hold the test set's variance only. Train two or more seeds (the "
        "paper used 5) to test them.**"
    )


def summary_paragraph(
    claims: pd.DataFrame,
    costs: pd.DataFrame,
    summary: pd.DataFrame,
    alpha: float,
    alignment: tuple[float, float] | None = None,
    alignment_points: int = 0,
) -> str:
    """The opening paragraph: what the tests say (one line per claim; the numbers are in
    the claims table), where the loss comes from, and the best stitched method per language
    against the multilingual baseline."""
    warning = one_seed_warning(claims)
    lines = [warning, ""] if warning else []
    if not claims.empty:
        tested = int((claims["verdict"] != "untested").sum())
        lines.append(
            f"Each claim is tested per language and per RR weighting, each pair of methods once: {tested} "
            "method-level comparisons (seeds and test examples both random), Holm-corrected (alpha = "
            f'{alpha}); "supported" means the corrected test rejects in the claimed direction, "not significant" '
            "that this run cannot tell the two methods apart (not that they are equal). What the run could "
            f"detect: per claim, the smallest true difference its test finds with {POWER:.0%} power at Holm's "
            f"strictest level (alpha / {max(tested, 1)}); a smaller true difference is likely missed, so a "
            '"not significant" below it says little.'
        )
        lines.append("")
        for group, rows in claims.groupby("group", sort=False):
            lines.append(f"- *{group}*: {_verdict_counts(rows)} (of {len(rows)}); {_detectable_range(rows)}.")
        lines.append("")
    rr_costs = costs[costs["method"].str.startswith("rr-")] if not costs.empty else costs
    if not rr_costs.empty:
        mean = rr_costs.mean(numeric_only=True)
        text = (
            "Where the loss comes from (RR variants, mean over methods and languages; per method with intervals in "
            f"the costs table): stitching changes English macro-F1 by {-mean['stitching_cost']:+.3f} (original "
            f"{mean['reference_english_f1']:.3f} -> stitched {mean['stitched_english_f1']:.3f}); the same models "
            f"score {mean['transfer_cost']:.3f} lower on the target test set ({mean['target_f1']:.3f})"
        )
        if "swap_cost" in rr_costs and rr_costs["swap_cost"].notna().any():
            both = rr_costs[rr_costs["swap_cost"].notna()].mean(numeric_only=True)
            text += (
                f". The multilingual model, which swaps nothing, itself drops {both['multilingual_drop']:.3f} between "
                "the same two test sets (the target set's difficulty plus its own crosslingual loss); beyond that "
                f"drop the RR models lose {both['swap_cost']:.3f}"
            )
        lines.append(text + ".")
    if alignment:
        lines.append("")
        lines.append(
            f"Alignment and transfer: over {alignment_points} word-level constructions × languages, the "
            "constructions whose rows translate held-out words better (lexicon induction P@1) transfer better "
            f"within a language by Spearman's ρ = {alignment[0]:+.2f} (mean over languages; permutation p = "
            f"{alignment[1]:.4f}, permuted within languages)."
        )
    best = _best_stitched(summary, claims)
    if best:
        lines.append("")
        lines.append(
            "Best zero-shot stitched method per language, among the methods tested against the multilingual "
            "baseline on all seeds (picked on the test set: descriptive): " + "; ".join(best) + "."
        )
    return "\n".join(lines)


def _best_stitched(summary: pd.DataFrame, claims: pd.DataFrame) -> list[str]:
    """Per language, the stitched method with the highest mean among those with a tested
    row against the multilingual baseline, with that row's verdict from its side."""
    out = []
    if claims.empty or "better" not in claims:
        return out
    tested = claims[
        (claims["verdict"] != "untested") & (claims["better"].eq("multilingual") | claims["worse"].eq("multilingual"))
    ]
    part = summary[(summary["language"] != "en") & summary["zero_shot"].astype(bool)]
    for (dataset, lang), rows in part.groupby(["dataset", "language"]):
        here = tested[(tested["dataset"] == dataset) & (tested["language"] == lang)]
        against = {row.better if row.worse == "multilingual" else row.worse: row for row in here.itertuples()}
        stitched = rows[rows["method"].isin(against) & rows["method"].map(is_stitched)]
        if stitched.empty:
            continue
        top = stitched.sort_values("macro_f1_mean", ascending=False).iloc[0]
        row = against[top["method"]]
        sign = 1 if row.better == top["method"] else -1
        low, high = sorted((sign * row.ci_low, sign * row.ci_high))
        verdict = (
            "cannot be told apart"
            if row.verdict == "not significant"
            else ("significantly better" if sign * row.difference > 0 else "significantly worse")
        )
        out.append(
            f"{dataset}/{lang}: {top['method']} {top['macro_f1_mean']:.3f}, {sign * row.difference:+.3f} from "
            f"multilingual [{low:+.3f}, {high:+.3f}] (p Holm {row.p_holm:.4f}: {verdict})"
        )
    return out


def alignment_vs_transfer(
    summary: pd.DataFrame, diagnostics: dict[tuple[str, str], dict], methods: list[str], default_k
) -> tuple[pd.DataFrame, tuple[float, float] | None]:
    """Does a better-aligned construction transfer better? One point per word-level
    construction (RR variants, LS, Procrustes, WECHSEL, FOCUS; -frozen, -tuned and -cs share
    their base's rows and are left out) and target language: held-out lexicon induction P@1 of
    the rows the model reads (for RR: through the built F_t and F_s rows) against the
    zero-shot macro-F1 (seed mean). Returns the points, and Spearman's rho within each
    (dataset, language), averaged, with a permutation p that permutes within them: points
    that share a test set are compared only with each other."""
    from mosecrot import plan

    points = []
    for row in summary[(summary["language"] != plan.SOURCE_LANG) & summary["method"].isin(methods)].itertuples():
        method = plan.parse_method(row.method, default_k)
        if method.kind not in plan.WORD_LEVEL or method.frozen or method.tuned or method.codeswitch:
            continue
        key = f"rr {method.relrep_variant}" if method.kind == "rr" else method.rows_name
        found = diagnostics.get((row.language, key))
        if not found:
            continue
        bli = found.get("lexicon_induction_built") or found.get("lexicon_induction") or {}
        if bli.get("p@1") is None:
            continue
        points.append(
            {
                "dataset": row.dataset,
                "language": row.language,
                "method": row.method,
                "lexicon_induction_p1": bli["p@1"],
                "macro_f1_mean": row.macro_f1_mean,
                "n_seeds": row.n_seeds,
            }
        )
    frame = pd.DataFrame(points)
    if frame.empty:
        return frame, None
    strata = (frame["dataset"] + "/" + frame["language"]).tolist()
    return frame, stats.spearman_permutation(
        frame["lexicon_induction_p1"].tolist(), frame["macro_f1_mean"].tolist(), strata
    )


def alignment_markdown(points: pd.DataFrame, rho: tuple[float, float] | None) -> list[str]:
    if points.empty:
        return []
    head = (
        f"Spearman's ρ within each language, averaged: {rho[0]:+.2f}, permutation p = {rho[1]:.4f} "
        f"(permuted within languages; {len(points)} points, constructions × languages)."
        if rho
        else f"Too few points for a rank correlation ({len(points)})."
    )
    lines = [
        "## Alignment and transfer",
        "",
        "Does a construction whose target rows translate held-out words better (lexicon induction P@1 on the "
        "common candidate and pair set; RR through the rows the model reads) also transfer better? " + head,
        "",
        "| dataset | language | method | BLI P@1 | macro-F1 |",
        "|---|---|---|---|---|",
    ]
    for row in points.sort_values(["dataset", "language", "lexicon_induction_p1"]).itertuples():
        lines.append(
            f"| {row.dataset} | {row.language} | {row.method} | {row.lexicon_induction_p1:.3f} "
            f"| {row.macro_f1_mean:.3f} |"
        )
    return lines + [""]


def tuned_variants(evaluations: Evaluations) -> list[str]:
    """What a -tuned variant can change: fine-tuning moves only the rows of tokens in the
    English training texts, so where few anchors are among them, -tuned is its base method
    again. One line per (dataset, language, -tuned method): anchors changed, and the seeds
    whose predictions equal the base method's."""
    lines = []
    frame = evaluations.per_seed
    tuned = frame[frame["method"].str.endswith("-tuned") & frame["tuned_anchor_tokens"].notna()]
    for (dataset, lang, method), rows in tuned.groupby(["dataset", "language", "method"]):
        base = method.removesuffix("-tuned")
        ours, theirs = evaluations.predictions(dataset, lang, method), evaluations.predictions(dataset, lang, base)
        common = sorted(set(ours) & set(theirs))
        same = sum(ours[s] == theirs[s] for s in common)
        lines.append(
            f"- {dataset}/{lang} {method}: fine-tuning changed {rows['tuned_anchors_changed'].mean():.0f} of "
            f"{rows['tuned_anchor_tokens'].iloc[0]:.0f} anchor tokens (mean over seeds)"
            + (f"; predictions identical to {base} in {same} of {len(common)} seeds" if common else "")
            + ("." if same < len(common) or not common else f": here {method} is {base} again, not a finding.")
        )
    return lines


def codeswitch_markdown(per_seed: pd.DataFrame) -> list[str]:
    """What code-switched fine-tuning switched, per language and -cs method (the counts
    every result records)."""
    if "codeswitch_rate" not in per_seed or per_seed["codeswitch_rate"].isna().all():
        return []
    part = per_seed[per_seed["codeswitch_rate"].notna()]
    lines = [
        "## What code-switching switched",
        "",
        "Per -cs method: the rate r, the English dictionary words it may switch (after the held-out words, and "
        "for -disjoint the anchor words, left), the distinct words of the English training sentences among "
        "them, and the share of all training word occurrences switched (mean over epochs and seeds).",
        "",
        "| dataset | language | method | r | switchable dictionary words | switchable training words "
        "| occurrences switched | seeds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (dataset, lang, method), rows in part.groupby(["dataset", "language", "method"]):
        first = rows.iloc[0]
        lines.append(
            f"| {dataset} | {lang} | {method} | {first['codeswitch_rate']:g} "
            f"| {int(first['codeswitch_english_words'])} | {int(first['codeswitch_training_words'])} "
            f"| {rows['codeswitch_switched_share'].mean():.1%} "
            f"| {len(rows)} |"
        )
    return lines + [""]


def findings_markdown(
    run: str,
    paragraph: str,
    summary: pd.DataFrame,
    tables: dict[str, str],
    claims_md: str,
    costs_md: str,
    diagnostics: dict[str, dict],
    english: pd.DataFrame,
    tuned: list[str] = (),
    alignment: list[str] = (),
    codeswitch: list[str] = (),
) -> str:
    lines = [
        f"# Results of run `{run}`",
        "",
        "Generated from the evaluation JSONs by the `aggregate` rule; do not edit by hand.",
        "",
        "## What this run shows",
        "",
        paragraph,
        "",
        "Scores are macro-F1 over the whole test set: mean ± sd over seeds [95% bootstrap interval over "
        "test examples]. Chance = majority-class macro-F1.",
        "",
    ]
    for dataset, table in tables.items():
        lines += [f"## {dataset}", "", table]
        reference = summary[(summary["dataset"] == dataset) & (summary["language"] == "en")]
        if len(reference):
            text = ", ".join(f"{r.method} {r.macro_f1_mean:.3f} ± {r.macro_f1_sd:.3f}" for r in reference.itertuples())
            lines += [f"English test set (in-language reference): {text}.", ""]
    lines += ["## The paper's claims, tested", "", claims_md, "## Where the loss comes from", "", costs_md]
    lines += list(codeswitch)
    if tuned:
        lines += ["## What -tuned can change here", "", *tuned, ""]
    lines += list(alignment)
    if len(english):
        stitched = english.groupby("method")["macro_f1"].agg(["mean", "std", "count"])
        lines += ["Stitched models on the English test set (own embedding layer, all languages and seeds):", ""]
        lines += [
            f"- {m}: {r['mean']:.3f} ± {0 if pd.isna(r['std']) else r['std']:.3f} (n = {int(r['count'])})"
            for m, r in stitched.iterrows()
        ]
        lines.append("")
    if diagnostics:
        lines += _diagnostics_table(diagnostics)
    return "\n".join(lines)


def _diagnostics_table(diagnostics: dict[str, dict]) -> list[str]:
    fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    lines = [
        "## Alignment diagnostics",
        "",
        "Held-out lexicon induction (English sides of held-out pairs are never anchors; every translation "
        "that is not an anchor counts as gold; one candidate and pair set for every construction): P@1 / P@5. "
        "For RR the first is through the similarity spaces (the same for every weighting and k), the second "
        "(built) through the rows the model reads: the nearest F_s row of each F_t row.",
        "",
        "| language | construction | anchors (distinct English) | BLI P@1 | BLI P@5 | built P@1 | pairs | candidates "
        "| mean effective k | overlap |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (lang, name), d in sorted(diagnostics.items()):
        if name == INDUCED:  # its own table (alignments_markdown)
            continue
        bli = d.get("lexicon_induction") or {}
        effective = (d.get("target") or {}).get("mean_effective_k")
        anchors = d.get("anchors", d.get("pairs_used"))
        distinct = d.get("distinct_english_anchors")
        lines.append(
            f"| {lang} | {name} | {anchors if anchors is not None else '–'}"
            f"{f' ({distinct})' if distinct is not None else ''} | {fmt(bli.get('p@1'))} | {fmt(bli.get('p@5'))} | "
            f"{fmt((d.get('lexicon_induction_built') or {}).get('p@1'))} | {bli.get('pairs', '–')} | "
            f"{bli.get('candidates', '–')} | {fmt(effective)} | {d.get('overlap', '–')} |"
        )
    return lines + [""]
