"""Aggregation of evaluation JSONs into tables, plots and a findings README.
Every number here is read from the evaluation files; nothing is typed in."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from mosecrot.io import atomic_path, read_json

SUMMARY_COLUMNS = [
    "dataset",
    "language",
    "method",
    "zero_shot",
    "n_seeds",
    "macro_f1_mean",
    "macro_f1_sd",
    "accuracy_mean",
    "chance_macro_f1",
    "anchors",
    "oov_rate",
]
MAIN_ORDER = ["lr", "multilingual", "ls", "procrustes", "no-swap", "rr-standard", "rr-softmax", "rr-sparsemax"]


def load_evaluations(paths: list[str]) -> pd.DataFrame:
    rows = []
    for path in paths:
        result = read_json(path)
        training = result.get("training") or {}
        rows.append(
            {
                "dataset": result["dataset"],
                "language": result["language"],
                "method": result["method"],
                "seed": result["seed"],
                "zero_shot": result["zero_shot"],
                "macro_f1": result["macro_f1"],
                "accuracy": result["accuracy"],
                "chance_macro_f1": result["chance"]["majority_macro_f1"],
                "uniform_macro_f1": result["chance"]["uniform_macro_f1"],
                "anchors": result.get("anchors"),
                "oov_rate": result.get("unknown_word_rate"),
                "n_examples": result["n_examples"],
                "embedding_drift": training.get("embedding_drift"),
                "dev_macro_f1": training.get("dev_macro_f1"),
            }
        )
    return pd.DataFrame(rows)


def summarize(per_seed: pd.DataFrame) -> pd.DataFrame:
    grouped = per_seed.groupby(["dataset", "language", "method"], sort=True)
    summary = grouped.agg(
        zero_shot=("zero_shot", "first"),
        n_seeds=("seed", "nunique"),
        macro_f1_mean=("macro_f1", "mean"),
        macro_f1_sd=("macro_f1", lambda s: float(s.std(ddof=1)) if len(s) > 1 else 0.0),
        accuracy_mean=("accuracy", "mean"),
        chance_macro_f1=("chance_macro_f1", "first"),
        anchors=("anchors", "first"),
        oov_rate=("oov_rate", "mean"),
    ).reset_index()
    return summary[SUMMARY_COLUMNS]


def _method_order(methods) -> list[str]:
    known = [m for m in MAIN_ORDER if m in methods]
    return known + sorted(m for m in methods if m not in known)


def paper_table(
    summary: pd.DataFrame, dataset: str, methods: list[str] | None = None, languages: list[str] | None = None
) -> tuple[pd.DataFrame, str]:
    """Rows = methods, columns = languages + avg, 'mean ± sd'; best zero-shot per column
    in bold; a chance row (majority-class macro-F1). Returns (numeric CSV frame, Markdown)."""
    part = summary[summary["dataset"] == dataset]
    languages = languages or sorted(set(part["language"]) - {"en"})
    part = part[part["language"].isin(languages)]
    methods = methods or _method_order(part["method"].unique())
    mean = part.pivot(index="method", columns="language", values="macro_f1_mean").reindex(
        index=methods, columns=languages
    )
    sd = part.pivot(index="method", columns="language", values="macro_f1_sd").reindex(index=methods, columns=languages)
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
            text = f"{value:.3f}" + (f" ± {sd.loc[method, lang]:.3f}" if lang != "avg" else "")
            cells.append(f"**{text}**" if zero_shot.get(method, True) and math.isclose(value, best[lang]) else text)
        label = method + ("" if zero_shot.get(method, True) else " (not zero-shot)")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    chance = part.groupby("language")["chance_macro_f1"].first().reindex(languages)
    lines.append("| chance (majority) | " + " | ".join(f"{c:.3f}" for c in chance) + f" | {chance.mean():.3f} |")
    numeric = mean.copy()
    numeric.loc["chance (majority)"] = list(chance) + [chance.mean()]
    return numeric, "\n".join(lines) + "\n"


def sweep_table(summary: pd.DataFrame, dataset: str, rows: dict[str, str]) -> tuple[pd.DataFrame, str]:
    """A sweep (row label -> method) as a paper-style table."""
    present = {label: m for label, m in rows.items() if m in set(summary["method"])}
    renamed = summary[summary["method"].isin(present.values())].copy()
    inverse = {m: label for label, m in present.items()}
    renamed["method"] = renamed["method"].map(inverse)
    return paper_table(renamed, dataset, methods=list(present))


def write_frame(frame: pd.DataFrame, path: str | Path, index: bool = False) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=index, float_format="%.4f")


# --------------------------------------------------------------------------- findings


def claims(summary: pd.DataFrame, dataset: str, seen: list[str], rr_methods: list[str]) -> list[dict]:
    """The paper's claims, each checked per language from the summary table."""
    part = summary[(summary["dataset"] == dataset) & (summary["language"] != "en")]
    mean = part.pivot(index="language", columns="method", values="macro_f1_mean")
    rr = [m for m in rr_methods if m in mean.columns]
    if not rr:
        return []
    best_rr = mean[rr].max(axis=1)
    out = []

    def check(name, other, languages):
        if other not in mean.columns or not languages:
            return
        wins = [lang for lang in languages if best_rr[lang] > mean.loc[lang, other]]
        margins = {lang: round(float(best_rr[lang] - mean.loc[lang, other]), 3) for lang in languages}
        out.append(
            {
                "claim": name,
                "holds_in": wins,
                "languages": list(languages),
                "margin_best_rr_minus": margins,
                "verdict": "supported"
                if len(wins) == len(languages)
                else "partly supported"
                if wins
                else "contradicted",
            }
        )

    languages = list(mean.index)
    check("RR beats the LS baseline", "ls", languages)
    seen_langs = [lang for lang in languages if lang in seen]
    unseen = [lang for lang in languages if lang not in seen]
    if "multilingual" in mean.columns and seen_langs:
        losses = [lang for lang in seen_langs if best_rr[lang] < mean.loc[lang, "multilingual"]]
        out.append(
            {
                "claim": "the multilingual baseline beats RR on languages it was pre-trained on",
                "holds_in": losses,
                "languages": seen_langs,
                "margin_best_rr_minus": {
                    lang: round(float(best_rr[lang] - mean.loc[lang, "multilingual"]), 3) for lang in seen_langs
                },
                "verdict": "supported"
                if len(losses) == len(seen_langs)
                else "partly supported"
                if losses
                else "contradicted",
            }
        )
    check("RR beats the multilingual baseline on languages it did not see", "multilingual", unseen)
    check("RR beats the (not zero-shot) LR baseline", "lr", languages)
    return out


def findings_markdown(
    run: str,
    summary: pd.DataFrame,
    tables: dict[str, str],
    claim_sets: dict[str, list[dict]],
    diagnostics: dict[str, dict],
) -> str:
    lines = [
        f"# Results of run `{run}`",
        "",
        "Generated from the evaluation JSONs by the `aggregate` rule; do not edit by hand.",
        "Scores are macro-F1 over the whole test set, mean ± sd over seeds. Chance = majority-class macro-F1.",
        "",
    ]
    for dataset, table in tables.items():
        lines += [f"## {dataset}", "", table, "### The paper's claims, checked", ""]
        for claim in claim_sets.get(dataset, []):
            margins = ", ".join(f"{k} {v:+.3f}" for k, v in claim["margin_best_rr_minus"].items())
            lines.append(
                f"- **{claim['claim']}**: {claim['verdict']} "
                f"(holds in {len(claim['holds_in'])}/{len(claim['languages'])}; best RR minus baseline: {margins})"
            )
        english = summary[(summary["dataset"] == dataset) & (summary["language"] == "en")]
        if len(english):
            ref = ", ".join(f"{r.method} {r.macro_f1_mean:.3f}" for r in english.itertuples())
            lines += ["", f"English test set (in-language reference): {ref}."]
        lines.append("")
    if diagnostics:
        lines += [
            "## Alignment diagnostics (main anchor set)",
            "",
            "| language | anchors | BLI P@1 | BLI P@5 | target coverage | weight entropy |",
            "|---|---|---|---|---|---|",
        ]
        for lang, d in sorted(diagnostics.items()):
            bli = d.get("lexicon_induction", {})
            fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
            lines.append(
                f"| {lang} | {d['anchors']} | {fmt(bli.get('p@1'))} | {fmt(bli.get('p@5'))} | "
                f"{d['target']['coverage']:.3f} | {d['target']['mean_weight_entropy']:.2f} |"
            )
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- plots


def _save(fig, png: str | Path) -> None:
    png = Path(png)
    for path in (png, png.with_suffix(".pdf")):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=path.suffix[1:], bbox_inches="tight", dpi=200)


def _figure(width=7.0, height=3.6):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.spines.top": False, "axes.spines.right": False})
    return plt, *plt.subplots(figsize=(width, height))


def plot_bars(per_seed: pd.DataFrame, dataset: str, out_png: str) -> None:
    """Per-language grouped bars for every method: mean over seeds, seed spread as dots,
    the majority-class chance level as a dashed line."""
    plt, fig, ax = _figure(max(7.0, 1.2 * per_seed["language"].nunique() + 4))
    part = per_seed[(per_seed["dataset"] == dataset) & (per_seed["language"] != "en")]
    languages = sorted(part["language"].unique())
    methods = _method_order(part["method"].unique())
    width = 0.8 / max(len(methods), 1)
    colors = plt.cm.tab20(np.linspace(0, 1, max(len(methods), 2)))
    for j, method in enumerate(methods):
        for i, lang in enumerate(languages):
            scores = part[(part["method"] == method) & (part["language"] == lang)]["macro_f1"]
            if scores.empty:
                continue
            x = i + (j - (len(methods) - 1) / 2) * width
            ax.bar(x, scores.mean(), width, color=colors[j], label=method if i == 0 else None)
            ax.scatter([x] * len(scores), scores, s=6, color="black", zorder=3)
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
    ax.set_title(f"{dataset}: zero-shot transfer (dots: seeds)")
    ax.legend(fontsize=7, ncol=2, bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False)
    _save(fig, out_png)
    plt.close(fig)


def plot_sweep(summary: pd.DataFrame, dataset: str, rows: dict[str, str], xlabel: str, out_png: str) -> None:
    plt, fig, ax = _figure(6, 3.4)
    part = summary[(summary["dataset"] == dataset) & (summary["language"] != "en")]
    present = {label: m for label, m in rows.items() if m in set(part["method"])}
    if not present:
        ax.text(0.5, 0.5, f"no {xlabel} sweep configured for this run", ha="center", va="center")
        ax.set_axis_off()
    for lang in sorted(part["language"].unique()):
        values = [part[(part["method"] == m) & (part["language"] == lang)]["macro_f1_mean"] for m in present.values()]
        ys = [v.iloc[0] if len(v) else np.nan for v in values]
        ax.plot(list(present), ys, marker="o", label=lang)
    if present:
        ax.set_xlabel(xlabel)
        ax.set_ylabel("macro-F1")
        ax.legend(frameon=False)
    ax.set_title(f"{dataset}: {xlabel} sweep")
    _save(fig, out_png)
    plt.close(fig)


def plot_gain(summary: pd.DataFrame, dataset: str, diagnostics: dict[str, dict], rr_method: str, out_png: str) -> None:
    """Transfer gain (RR - LS, RR - multilingual) against anchor count, lexicon-induction
    P@1 and unknown-word rate, with Pearson's r (n = number of languages)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    part = summary[(summary["dataset"] == dataset) & (summary["language"] != "en")]
    mean = part.pivot(index="language", columns="method", values="macro_f1_mean")
    oov = part[part["method"] == rr_method].set_index("language")["oov_rate"]
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), sharey=True)
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
            xs = np.array([values[lang] for lang in langs], dtype=float)
            ys = np.array([mean.loc[lang, rr_method] - mean.loc[lang, baseline] for lang in langs])
            r = np.corrcoef(xs, ys)[0, 1] if len(xs) > 2 and xs.std() > 0 and ys.std() > 0 else float("nan")
            ax.scatter(xs, ys, marker=marker, label=f"{rr_method} − {baseline} (r={r:.2f}, n={len(xs)})")
            for x, y, lang in zip(xs, ys, langs):
                ax.annotate(lang, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_xlabel(name)
        ax.legend(fontsize=6, frameon=False)
    axes[0].set_ylabel("macro-F1 gain")
    fig.suptitle(f"{dataset}: where does stitching help? (r undefined for n ≤ 2)")
    _save(fig, out_png)
    plt.close(fig)


def plot_drift(per_seed: pd.DataFrame, dataset: str, out_png: str) -> None:
    """How far fine-tuning moved the stitched embeddings (relative Frobenius change) against
    the gap between RR and the original English model on the English test set."""
    plt, fig, ax = _figure(6, 3.4)
    part = per_seed[(per_seed["dataset"] == dataset)]
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
