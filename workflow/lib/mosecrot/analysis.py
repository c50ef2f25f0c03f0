"""Aggregation of evaluation JSONs into tables, significance tests, plots and a findings
README. Every number here is read from the evaluation files; nothing is typed in."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mosecrot import stats
from mosecrot.io import atomic_path, read_json

SUMMARY_COLUMNS = [
    "dataset",
    "language",
    "method",
    "zero_shot",
    "n_seeds",
    "macro_f1_mean",
    "macro_f1_sd",
    "macro_f1_ci_low",
    "macro_f1_ci_high",
    "accuracy_mean",
    "chance_macro_f1",
    "n_examples",
    "anchors",
    "oov_rate",
]
WEIGHTINGS = ("standard", "softmax", "sparsemax")
MAIN_ORDER = [
    "lr",
    "multilingual",
    "ls",
    "procrustes",
    "wechsel",
    "focus",
    "no-swap",
    "rr-standard",
    "rr-softmax",
    "rr-sparsemax",
]
# Zero-shot methods that put static-vector rows into the model (no-swap reads raw text).
NOT_STITCHED = ("multilingual", "no-swap", "lr", "original")


@dataclass
class Evaluations:
    """Per-seed scores, and the per-example predictions behind them for the paired tests."""

    per_seed: pd.DataFrame
    gold: dict[tuple[str, str], list[str]]  # (dataset, language) -> gold labels of the test set
    predicted: dict[tuple[str, str, str], dict[int, list[str]]]  # (dataset, language, method) -> seed -> labels
    curves: list[dict]

    def predictions(self, dataset: str, language: str, method: str) -> dict[int, list[str]]:
        return self.predicted.get((dataset, language, method), {})


def load_evaluations(paths: list[str], key: Callable[[dict], str] | None = None) -> Evaluations:
    """Read evaluation JSONs. `key` names the system of a result (default: its method)."""
    rows, gold, predicted, curves = [], {}, {}, []
    for path in paths:
        result = read_json(path)
        training = result.get("training") or {}
        method = key(result) if key else result["method"]
        where = (result["dataset"], result["language"])
        if where in gold and gold[where] != result["gold"]:
            raise ValueError(f"{path}: its test set differs from the other evaluations of {where}")
        gold[where] = result["gold"]
        predicted.setdefault((*where, method), {})[result["seed"]] = result["predicted"]
        rows.append(
            {
                "dataset": result["dataset"],
                "language": result["language"],
                "method": method,
                "seed": result["seed"],
                "zero_shot": result["zero_shot"],
                "macro_f1": result["macro_f1"],
                "accuracy": result["accuracy"],
                "chance_macro_f1": result["chance"]["majority_macro_f1"],
                "uniform_macro_f1": result["chance"]["uniform_macro_f1"],
                "anchors": result.get("anchors"),
                "oov_rate": result.get("unknown_word_rate"),
                "n_examples": result["n_examples"],
                "trained_for": result.get("trained_for"),
                "embedding_drift": training.get("embedding_drift"),
                "dev_macro_f1": training.get("dev_macro_f1"),
                "selected_epoch": training.get("selected_epoch"),
            }
        )
        if training.get("curve"):
            model = Path(result["provenance"]["settings"]["model"])  # .../models/<dataset>/<lang>/<name>/seed<n>
            curves.append(
                {
                    "path": str(model),
                    "dataset": result["dataset"],
                    "model": model.parent.name,
                    "trained_for": model.parent.parent.name,
                    "seed": result["seed"],
                    "curve": training["curve"],
                    "selected_epoch": training.get("selected_epoch"),
                }
            )
    return Evaluations(pd.DataFrame(rows), gold, predicted, curves)


def summarize(evaluations: Evaluations, resamples: int, seed: int) -> pd.DataFrame:
    """Mean ± sd over seeds, and a 95% bootstrap interval over test examples."""
    per_seed = evaluations.per_seed
    grouped = per_seed.groupby(["dataset", "language", "method"], sort=True)
    summary = grouped.agg(
        zero_shot=("zero_shot", "first"),
        n_seeds=("seed", "nunique"),
        macro_f1_mean=("macro_f1", "mean"),
        macro_f1_sd=("macro_f1", lambda s: float(s.std(ddof=1)) if len(s) > 1 else 0.0),
        accuracy_mean=("accuracy", "mean"),
        chance_macro_f1=("chance_macro_f1", "first"),
        n_examples=("n_examples", "first"),
        anchors=("anchors", "first"),
        oov_rate=("oov_rate", "mean"),
    ).reset_index()
    low, high = [], []
    for row in summary.itertuples():
        by_seed = evaluations.predictions(row.dataset, row.language, row.method)
        interval = stats.bootstrap_interval(
            evaluations.gold[(row.dataset, row.language)],
            np.array([by_seed[s] for s in sorted(by_seed)]),
            resamples,
            seed,
        )
        low.append(interval.low)
        high.append(interval.high)
    summary["macro_f1_ci_low"], summary["macro_f1_ci_high"] = low, high
    return summary[SUMMARY_COLUMNS]


def method_order(methods) -> list[str]:
    known = [m for m in MAIN_ORDER if m in methods]
    return known + sorted(m for m in methods if m not in known)


def paper_table(
    summary: pd.DataFrame, dataset: str, methods: list[str] | None = None, languages: list[str] | None = None
) -> tuple[pd.DataFrame, str]:
    """Rows = methods, columns = languages + avg: 'mean ± sd [95% CI]'; best zero-shot per
    column in bold; a chance row (majority-class macro-F1). Returns (numeric frame, Markdown)."""
    part = summary[summary["dataset"] == dataset]
    languages = languages or sorted(set(part["language"]) - {"en"})
    part = part[part["language"].isin(languages)]
    methods = methods or method_order(part["method"].unique())
    pivot = {
        column: part.pivot(index="method", columns="language", values=column).reindex(index=methods, columns=languages)
        for column in ("macro_f1_mean", "macro_f1_sd", "macro_f1_ci_low", "macro_f1_ci_high", "n_seeds")
    }
    mean = pivot["macro_f1_mean"]
    mean["avg"] = mean.mean(axis=1, skipna=False)
    zero_shot = part.groupby("method")["zero_shot"].first().reindex(methods)
    best = mean[zero_shot.fillna(True).astype(bool).to_numpy()].max(axis=0)
    lines = ["| method | " + " | ".join(languages + ["avg"]) + " |", "|---" * (len(languages) + 2) + "|"]
    for method in methods:
        cells = []
        for lang in languages + ["avg"]:
            value = mean.loc[method, lang]
            if pd.isna(value):
                cells.append("–")
                continue
            text = f"{value:.3f}"
            if lang != "avg":
                low, high = pivot["macro_f1_ci_low"].loc[method, lang], pivot["macro_f1_ci_high"].loc[method, lang]
                text += f" ± {pivot['macro_f1_sd'].loc[method, lang]:.3f} [{low:.2f}, {high:.2f}]"
            cells.append(f"**{text}**" if zero_shot.get(method, True) and math.isclose(value, best[lang]) else text)
        label = method + ("" if zero_shot.get(method, True) else " (not zero-shot)")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    chance = part.groupby("language")["chance_macro_f1"].first().reindex(languages)
    lines.append("| chance (majority) | " + " | ".join(f"{c:.3f}" for c in chance) + f" | {chance.mean():.3f} |")
    numeric = mean.copy()
    numeric.loc["chance (majority)"] = list(chance) + [chance.mean()]
    return numeric, "\n".join(lines) + "\n"


def sweep_table(summary: pd.DataFrame, dataset: str, rows: dict[str, str]) -> tuple[pd.DataFrame, str]:
    """A sweep (row label -> method) as a paper-style table, with each row's seed count."""
    present = {label: m for label, m in rows.items() if m in set(summary["method"])}
    part = summary[summary["method"].isin(present.values())].copy()
    seeds = part.groupby("method")["n_seeds"].max()
    renamed_rows = {label: f"{label} ({seeds[m]} seed{'s' if seeds[m] > 1 else ''})" for label, m in present.items()}
    part["method"] = part["method"].map({m: renamed_rows[label] for label, m in present.items()})
    return paper_table(part, dataset, methods=list(renamed_rows.values()))


def write_frame(frame: pd.DataFrame, path: str | Path, index: bool = False) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=index, float_format="%.4f")


# --------------------------------------------------------------------------- claims


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
    on the test set), plus the peer comparisons and each stitched method against the
    multilingual baseline."""
    present = set(methods)
    seen_langs = tuple(lang for lang in languages if lang in seen)
    unseen = tuple(lang for lang in languages if lang not in seen)
    every = tuple(languages)
    claims: list[Claim] = []
    for weighting in WEIGHTINGS:
        rr = f"rr-{weighting}"
        if rr not in present:
            continue
        checks = [
            (f"{rr} beats LS", rr, "ls", every, "RR beats the LS baseline"),
            (
                f"multilingual beats {rr} (seen languages)",
                "multilingual",
                rr,
                seen_langs,
                "the multilingual baseline beats RR on languages it was pre-trained on",
            ),
            (
                f"{rr} beats multilingual (unseen languages)",
                rr,
                "multilingual",
                unseen,
                "RR beats the multilingual baseline on languages it did not see",
            ),
            (f"LR beats {rr}", "lr", rr, every, "the target-trained LR (not zero-shot) beats RR"),
            (f"WECHSEL beats {rr}", "wechsel", rr, every, "WECHSEL beats RR"),
            (f"FOCUS beats {rr}", "focus", rr, every, "FOCUS beats RR"),
            (f"{rr}-aligned beats {rr}", f"{rr}-aligned", rr, every, "aligned similarity spaces improve RR"),
        ]
        for text, better, worse, langs, group in checks:
            if better in present and worse in present and langs:
                claims.append(Claim(text, better, worse, langs, group))
    if "multilingual" in present:
        for method in method_order(present):
            if method not in NOT_STITCHED:
                claims.append(
                    Claim(
                        f"{method} beats multilingual",
                        method,
                        "multilingual",
                        every,
                        "a stitched method beats the multilingual baseline",
                    )
                )
    return claims


def test_claims(evaluations: Evaluations, dataset: str, claims: list[Claim], resamples: int, seed: int) -> list[dict]:
    rows = []
    for claim in claims:
        for lang in claim.languages:
            better = evaluations.predictions(dataset, lang, claim.better)
            worse = evaluations.predictions(dataset, lang, claim.worse)
            if not better or not worse:
                continue
            a, b, seeds = stats.align_seeds(better, worse)
            result = stats.paired_test(evaluations.gold[(dataset, lang)], a, b, resamples, seed)
            rows.append(
                {
                    "dataset": dataset,
                    "claim": claim.text,
                    "group": claim.group,
                    "language": lang,
                    "better": claim.better,
                    "worse": claim.worse,
                    "difference": result.difference,
                    "ci_low": result.low,
                    "ci_high": result.high,
                    "p_value": result.p_value,
                    "seeds": len(seeds),
                    "resamples": result.resamples,
                }
            )
    return rows


def finalize_claims(rows: list[dict], alpha: float) -> pd.DataFrame:
    """Holm-correct the whole family and give each row its verdict."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["dataset", "claim", "language", "difference", "p_holm", "verdict"])
    frame["p_holm"] = stats.holm(frame["p_value"].tolist())
    significant = frame["p_holm"] < alpha
    frame["verdict"] = np.where(
        significant & (frame["difference"] > 0),
        "supported",
        np.where(significant & (frame["difference"] < 0), "contradicted", "not significant"),
    )
    return frame


def claims_markdown(claims: pd.DataFrame, alpha: float) -> str:
    if claims.empty:
        return "No claim could be tested in this run (a compared method is not configured).\n"
    lines = [
        f"Paired tests over test examples, all seeds; Holm-corrected over all {len(claims)} comparisons, "
        f"alpha = {alpha}. Difference = first method minus second (macro-F1).",
        "",
        "| dataset | claim | language | difference [95% CI] | p | p (Holm) | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in claims.itertuples():
        lines.append(
            f"| {row.dataset} | {row.claim} | {row.language} | {row.difference:+.3f} "
            f"[{row.ci_low:+.3f}, {row.ci_high:+.3f}] | {row.p_value:.4f} | {row.p_holm:.4f} | {row.verdict} |"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- where the loss comes from


def transfer_costs(
    evaluations: Evaluations, english: Evaluations, methods: list[str], default_k, resamples: int, seed: int
) -> pd.DataFrame:
    """Per (dataset, method, language): the English reference (the model the method starts
    from, unstitched, on English), the stitched model on English, and the zero-shot score.
    stitching cost = reference - stitched on English (paired, same English examples);
    transfer cost = stitched on English - target (two test sets, independent bootstraps)."""
    from mosecrot import plan

    rows = []
    targets = evaluations.per_seed[evaluations.per_seed["language"] != plan.SOURCE_LANG]
    for (dataset, lang, name), _ in targets.groupby(["dataset", "language", "method"]):
        if name not in methods or name in ("lr",):
            continue
        method = plan.parse_method(name, default_k)
        reference_name = "multilingual" if method.kind == "multilingual" else "original"
        reference = evaluations.predictions(dataset, plan.SOURCE_LANG, reference_name)
        if method.kind == "rr":
            stitched = english.predictions(dataset, plan.SOURCE_LANG, f"{lang}/{method.training}")
        else:
            stitched = reference  # the model keeps its own embeddings on English
        target = evaluations.predictions(dataset, lang, name)
        if not (reference and stitched and target):
            continue
        english_gold = evaluations.gold[(dataset, plan.SOURCE_LANG)]
        ref, stitched_aligned, _ = stats.align_seeds(reference, stitched)
        stitching = stats.paired_test(english_gold, ref, stitched_aligned, resamples, seed)
        seeds = sorted(set(stitched) & set(target))
        transfer = stats.difference_interval(
            english_gold,
            np.array([stitched[s] for s in seeds]),
            evaluations.gold[(dataset, lang)],
            np.array([target[s] for s in seeds]),
            resamples,
            seed,
        )
        rows.append(
            {
                "dataset": dataset,
                "method": name,
                "language": lang,
                "english_reference": reference_name,
                "reference_english_f1": stats.point_estimate(english_gold, ref),
                "stitched_english_f1": stats.point_estimate(english_gold, stitched_aligned),
                "target_f1": stats.point_estimate(
                    evaluations.gold[(dataset, lang)], np.array([target[s] for s in seeds])
                ),
                "stitching_cost": stitching.difference,
                "stitching_ci_low": stitching.low,
                "stitching_ci_high": stitching.high,
                "stitching_p": stitching.p_value,
                "transfer_cost": transfer.estimate,
                "transfer_ci_low": transfer.low,
                "transfer_ci_high": transfer.high,
                "seeds": len(seeds),
            }
        )
    return pd.DataFrame(rows)


def costs_markdown(costs: pd.DataFrame) -> str:
    if costs.empty:
        return "No stitched model was evaluated on English in this run.\n"
    lines = [
        "English reference: the model each method starts from, unstitched (original English "
        "model, or the multilingual one), on the English test set. Costs in macro-F1 points, "
        "mean over seeds, 95% bootstrap intervals.",
        "",
        "| dataset | method | language | reference (en) | stitched (en) | target | stitching cost | transfer cost |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in costs.itertuples():
        lines.append(
            f"| {row.dataset} | {row.method} | {row.language} | {row.reference_english_f1:.3f} | "
            f"{row.stitched_english_f1:.3f} | {row.target_f1:.3f} | "
            f"{row.stitching_cost:+.3f} [{row.stitching_ci_low:+.3f}, {row.stitching_ci_high:+.3f}] | "
            f"{row.transfer_cost:+.3f} [{row.transfer_ci_low:+.3f}, {row.transfer_ci_high:+.3f}] |"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- findings


def _verdict_counts(rows: pd.DataFrame) -> str:
    counts = rows["verdict"].value_counts()
    parts = [f"{counts.get(v, 0)} {v}" for v in ("supported", "contradicted", "not significant") if counts.get(v, 0)]
    return ", ".join(parts)


def summary_paragraph(claims: pd.DataFrame, costs: pd.DataFrame, summary: pd.DataFrame, alpha: float) -> str:
    """The opening paragraph: what the tests say (one line per claim; the numbers are in
    the claims table), where the loss comes from, and the best stitched method per language
    against the multilingual baseline."""
    lines = []
    if not claims.empty:
        lines.append(
            f"Each claim is tested per language and per RR weighting: {len(claims)} paired comparisons over the test "
            f'examples, all seeds, Holm-corrected (alpha = {alpha}); "supported" means the corrected test rejects '
            "in the claimed direction."
        )
        lines.append("")
        for group, rows in claims.groupby("group", sort=False):
            lines.append(f"- *{group}*: {_verdict_counts(rows)} (of {len(rows)}).")
        lines.append("")
    rr_costs = costs[costs["method"].str.startswith("rr-")] if not costs.empty else costs
    if not rr_costs.empty:
        stitching, transfer = rr_costs["stitching_cost"].mean(), rr_costs["transfer_cost"].mean()
        lines.append(
            "Where the loss comes from (RR variants, mean over methods and languages): stitching costs "
            f"{stitching:+.3f} macro-F1 on English (original {rr_costs['reference_english_f1'].mean():.3f} -> stitched "
            f"{rr_costs['stitched_english_f1'].mean():.3f}), the swap to the target language {transfer:+.3f} "
            f"(-> {rr_costs['target_f1'].mean():.3f}): the loss is mostly "
            + ("at the swap, not at stitching." if transfer > stitching else "at stitching, not at the swap.")
        )
    best = _best_stitched(summary, claims)
    if best:
        lines.append("")
        lines.append(
            "Best zero-shot stitched method per language (picked on the test set: descriptive; every method's own "
            "test against the multilingual baseline is in the claims table): " + "; ".join(best) + "."
        )
    return "\n".join(lines)


def _best_stitched(summary: pd.DataFrame, claims: pd.DataFrame) -> list[str]:
    out = []
    part = summary[(summary["language"] != "en") & summary["zero_shot"].astype(bool)]
    for (dataset, lang), rows in part.groupby(["dataset", "language"]):
        stitched = rows[~rows["method"].isin(NOT_STITCHED)]
        reference = rows[rows["method"] == "multilingual"]
        if stitched.empty:
            continue
        top = stitched.sort_values("macro_f1_mean", ascending=False).iloc[0]
        text = f"{dataset}/{lang}: {top['method']} {top['macro_f1_mean']:.3f}"
        if not reference.empty:
            test = (
                claims[
                    (claims["dataset"] == dataset)
                    & (claims["language"] == lang)
                    & (claims["claim"] == f"{top['method']} beats multilingual")
                ]
                if not claims.empty
                else claims
            )
            gap = top["macro_f1_mean"] - reference["macro_f1_mean"].iloc[0]
            text += f", {gap:+.3f} from multilingual"
            if not test.empty:
                text += f" (p Holm {test['p_holm'].iloc[0]:.4f}, {test['verdict'].iloc[0]})"
        out.append(text)
    return out


def findings_markdown(
    run: str,
    paragraph: str,
    summary: pd.DataFrame,
    tables: dict[str, str],
    claims_md: str,
    costs_md: str,
    diagnostics: dict[str, dict],
    english: pd.DataFrame,
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
        "Held-out lexicon induction (English sides of held-out pairs are never anchors): P@1 / P@5.",
        "",
        "| language | construction | anchors (distinct English) | BLI P@1 | BLI P@5 | pairs | mean effective k "
        "| overlap |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (lang, name), d in sorted(diagnostics.items()):
        bli = d.get("lexicon_induction", {})
        effective = (d.get("target") or {}).get("mean_effective_k")
        anchors = d.get("anchors", d.get("pairs_used"))
        distinct = d.get("distinct_english_anchors")
        lines.append(
            f"| {lang} | {name} | {anchors if anchors is not None else '–'}"
            f"{f' ({distinct})' if distinct is not None else ''} | {fmt(bli.get('p@1'))} | {fmt(bli.get('p@5'))} | "
            f"{bli.get('pairs', '–')} | {fmt(effective)} | {d.get('overlap', '–')} |"
        )
    return lines + [""]


# --------------------------------------------------------------------------- plots


def _save(fig, png: str | Path) -> None:
    png = Path(png)
    for path in (png, png.with_suffix(".pdf")):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=path.suffix[1:], bbox_inches="tight", dpi=200)


def _figure(width=7.0, height=3.6, ncols=1, sharey=False):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.spines.top": False, "axes.spines.right": False})
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), sharey=sharey)
    return plt, fig, axes


def plot_bars(per_seed: pd.DataFrame, summary: pd.DataFrame, dataset: str, out_png: str, methods: list[str]) -> None:
    """Per-language grouped bars for the configured methods (sweeps have their own plots):
    mean over seeds, 95% bootstrap interval, seeds as dots, majority-class chance as a
    dashed line. LR (trained on target data) stands apart, hatched and labelled: it is not
    zero-shot."""
    part = per_seed[(per_seed["dataset"] == dataset) & (per_seed["language"] != "en")]
    part = part[part["method"].isin(methods)]
    languages = sorted(part["language"].unique())
    methods = method_order(part["method"].unique())
    zero_shot = [m for m in methods if m != "lr"]
    slots = zero_shot + (["", "lr"] if "lr" in methods else [])
    plt, fig, ax = _figure(max(8.0, 1.6 * len(languages) + 0.25 * len(slots) * len(languages)))
    width = 0.85 / max(len(slots), 1)
    colors = plt.cm.tab20(np.linspace(0, 1, max(len(zero_shot), 2)))
    info = summary[summary["dataset"] == dataset].set_index(["language", "method"])
    for j, method in enumerate(slots):
        if not method:
            continue
        for i, lang in enumerate(languages):
            scores = part[(part["method"] == method) & (part["language"] == lang)]["macro_f1"]
            if scores.empty:
                continue
            x = i + (j - (len(slots) - 1) / 2) * width
            style = (
                {
                    "color": "white",
                    "edgecolor": "black",
                    "hatch": "///",
                    "label": "LR: trained on target data (NOT zero-shot)",
                }
                if method == "lr"
                else {"color": colors[zero_shot.index(method)], "label": method}
            )
            if i:
                style.pop("label")
            ax.bar(x, scores.mean(), width, **style)
            if (lang, method) in info.index:
                row = info.loc[(lang, method)]
                ax.errorbar(
                    x,
                    scores.mean(),
                    yerr=[[scores.mean() - row["macro_f1_ci_low"]], [row["macro_f1_ci_high"] - scores.mean()]],
                    color="grey",
                    linewidth=0.8,
                    capsize=1.5,
                )
            ax.scatter([x] * len(scores), scores, s=5, color="black", zorder=3)
    for i, lang in enumerate(languages):
        chance = part[part["language"] == lang]["chance_macro_f1"].iloc[0]
        ax.hlines(
            chance,
            i - 0.45,
            i + 0.45,
            colors="black",
            linestyles="dashed",
            linewidth=1,
            label="chance (majority)" if i == 0 else None,
        )
    ax.set_xticks(range(len(languages)), languages)
    ax.set_ylabel("macro-F1")
    ax.set_title(f"{dataset}: zero-shot transfer (whiskers: 95% CI over examples; dots: seeds)")
    ax.legend(fontsize=7, ncol=1, bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False)
    _save(fig, out_png)
    plt.close(fig)


def plot_sweep(summary: pd.DataFrame, dataset: str, rows: dict[str, str], xlabel: str, out_png: str) -> None:
    plt, fig, ax = _figure(6, 3.4)
    part = summary[(summary["dataset"] == dataset) & (summary["language"] != "en")]
    present = {label: m for label, m in rows.items() if m in set(part["method"])}
    if len(present) < 2:
        ax.text(0.5, 0.5, f"no {xlabel} sweep configured for this run", ha="center", va="center")
        ax.set_axis_off()
    else:
        for lang in sorted(part["language"].unique()):
            found = [part[(part["method"] == m) & (part["language"] == lang)] for m in present.values()]
            labels = [label for label, f in zip(present, found) if len(f)]
            rows_found = [f.iloc[0] for f in found if len(f)]
            if len(rows_found) < 2:
                continue
            y = np.array([r["macro_f1_mean"] for r in rows_found])
            errors = np.array(
                [[y_ - r["macro_f1_ci_low"], r["macro_f1_ci_high"] - y_] for y_, r in zip(y, rows_found)]
            ).T
            seeds = "/".join(str(int(r["n_seeds"])) for r in rows_found)
            ax.errorbar(labels, y, yerr=errors, marker="o", capsize=2, label=f"{lang} (seeds per point: {seeds})")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("macro-F1")
        ax.legend(frameon=False, fontsize=7)
    ax.set_title(f"{dataset}: {xlabel} sweep (whiskers: 95% CI over examples)")
    _save(fig, out_png)
    plt.close(fig)


def plot_gain(summary: pd.DataFrame, dataset: str, diagnostics: dict[str, dict], rr_method: str, out_png: str) -> None:
    """Transfer gain (RR - LS, RR - multilingual) against anchor count, lexicon-induction
    P@1 and unknown-word rate, with Spearman's rho and its 95% interval (n >= 4 languages)."""
    part = summary[(summary["dataset"] == dataset) & (summary["language"] != "en")]
    mean = part.pivot(index="language", columns="method", values="macro_f1_mean")
    oov = part[part["method"] == rr_method].set_index("language")["oov_rate"]
    plt, fig, axes = _figure(10, 3.2, ncols=3, sharey=True)
    features = {
        "anchors": {lang: d["anchors"] for lang, d in diagnostics.items()},
        "lexicon induction P@1": {lang: d["lexicon_induction"].get("p@1") for lang, d in diagnostics.items()},
        "unknown-word rate": oov.to_dict(),
    }
    for ax, (name, values) in zip(axes, features.items()):
        for baseline, marker in (("ls", "o"), ("multilingual", "s")):
            if rr_method not in mean.columns or baseline not in mean.columns:
                continue
            langs = [lang for lang in mean.index if values.get(lang) is not None]
            xs = [float(values[lang]) for lang in langs]
            ys = [float(mean.loc[lang, rr_method] - mean.loc[lang, baseline]) for lang in langs]
            rho = stats.spearman_interval(xs, ys)
            label = (
                f"{rr_method} − {baseline}: Spearman ρ={rho[0]:.2f} [{rho[1]:.2f}, {rho[2]:.2f}] (n={len(xs)})"
                if rho
                else f"{rr_method} − {baseline}: too few languages for a correlation (n={len(xs)})"
            )
            ax.scatter(xs, ys, marker=marker, label=label)
            for x, y, lang in zip(xs, ys, langs):
                ax.annotate(lang, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_xlabel(name)
        ax.legend(fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(0, -0.2))
    axes[0].set_ylabel("macro-F1 gain")
    fig.suptitle(f"{dataset}: where does stitching help? (rank correlation over languages, needs n ≥ 4)")
    _save(fig, out_png)
    plt.close(fig)


def plot_drift(per_seed: pd.DataFrame, dataset: str, out_png: str) -> None:
    """How far fine-tuning moved the stitched embeddings (relative Frobenius change) against
    the gap between the original English model on English and RR on the target."""
    plt, fig, ax = _figure(6, 3.4)
    part = per_seed[per_seed["dataset"] == dataset]
    english = part[(part["language"] == "en") & (part["method"] == "original")]["macro_f1"].mean()
    rr = part[part["method"].str.startswith("rr-") & part["embedding_drift"].notna() & (part["language"] != "en")]
    for method, group in rr.groupby("method"):
        ax.scatter(group["embedding_drift"], english - group["macro_f1"], label=method, s=14)
    ax.set_xlabel("embedding drift ||E_tuned − F_s|| / ||F_s||")
    ax.set_ylabel("English original − RR target macro-F1")
    ax.set_title(f"{dataset}: embedding drift vs transfer gap")
    if len(rr):
        ax.legend(fontsize=7, frameon=False)
    _save(fig, out_png)
    plt.close(fig)


def plot_costs(costs: pd.DataFrame, dataset: str, out_png: str) -> None:
    """Stitching and transfer cost per method, one panel per language."""
    part = costs[costs["dataset"] == dataset] if not costs.empty else costs
    languages = sorted(part["language"].unique()) if not part.empty else []
    plt, fig, axes = _figure(max(6.0, 4.5 * max(len(languages), 1)), 3.8, ncols=max(len(languages), 1), sharey=True)
    axes = np.atleast_1d(axes)
    if part.empty:
        axes[0].text(0.5, 0.5, "no stitched model evaluated on English", ha="center", va="center")
        axes[0].set_axis_off()
    for ax, lang in zip(axes, languages):
        rows = (
            part[part["language"] == lang]
            .set_index("method")
            .reindex(method_order(part[part["language"] == lang]["method"]))
        )
        x = np.arange(len(rows))
        for offset, column, label, color in (
            (-0.2, "stitching", "stitching cost (English: original → stitched)", "tab:orange"),
            (0.2, "transfer", "transfer cost (stitched on English → target)", "tab:blue"),
        ):
            values = rows[f"{column}_cost"].to_numpy()
            errors = np.array(
                [values - rows[f"{column}_ci_low"].to_numpy(), rows[f"{column}_ci_high"].to_numpy() - values]
            )
            ax.bar(x + offset, values, 0.4, yerr=errors, capsize=2, label=label, color=color)
        ax.set_xticks(x, rows.index, rotation=60, ha="right", fontsize=7)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_title(lang)
    axes[0].set_ylabel("macro-F1 lost")
    axes[0].legend(fontsize=7, frameon=False, loc="upper left")
    fig.suptitle(f"{dataset}: where the loss comes from")
    _save(fig, out_png)
    plt.close(fig)


def plot_curves(curves: list[dict], dataset: str, out_png: str) -> None:
    """English dev macro-F1 per epoch of every fine-tuning; the selected epoch is marked."""
    plt, fig, ax = _figure(7, 3.6)
    part = [c for c in curves if c["dataset"] == dataset]
    models = sorted({(c["model"], c["trained_for"]) for c in part})
    colors = plt.cm.tab20(np.linspace(0, 1, max(len(models), 2)))
    for curve in part:
        color = colors[models.index((curve["model"], curve["trained_for"]))]
        epochs = [row["epoch"] for row in curve["curve"]]
        scores = [row["dev_macro_f1"] for row in curve["curve"]]
        ax.plot(epochs, scores, color=color, linewidth=0.8, alpha=0.8)
        if curve.get("selected_epoch"):
            ax.scatter(
                [curve["selected_epoch"]], [scores[epochs.index(curve["selected_epoch"])]], color=color, s=10, zorder=3
            )
    for (model, lang), color in zip(models, colors):
        ax.plot([], [], color=color, label=f"{model} ({lang})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("English dev macro-F1")
    ax.set_title(f"{dataset}: training curves ({len(part)} fine-tunings; dot: selected epoch)")
    if part:
        ax.legend(fontsize=6, frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left")
    _save(fig, out_png)
    plt.close(fig)
