"""The figures of a run (PNG and PDF, written atomically)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mosecrot import stats
from mosecrot.analysis.evaluations import method_order
from mosecrot.io import atomic_path


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
    P@1 and unknown-word rate, with Spearman's rho and its permutation p per panel (exact up
    to 8 languages)."""
    part = summary[(summary["dataset"] == dataset) & (summary["language"] != "en")]
    mean = part.pivot(index="language", columns="method", values="macro_f1_mean")
    oov = part[part["method"] == rr_method].set_index("language")["oov_rate"]
    plt, fig, axes = _figure(11, 3.6, ncols=3, sharey=True)
    features = {
        "anchors": {lang: d["anchors"] for lang, d in diagnostics.items()},
        "lexicon induction P@1 (built rows)": {
            lang: (d.get("lexicon_induction_built") or d["lexicon_induction"]).get("p@1")
            for lang, d in diagnostics.items()
        },
        "unknown-word rate": oov.to_dict(),
    }
    for ax, (name, values) in zip(axes, features.items()):
        notes = []
        for baseline, marker in (("ls", "o"), ("multilingual", "s")):
            if rr_method not in mean.columns or baseline not in mean.columns:
                continue
            langs = [lang for lang in mean.index if values.get(lang) is not None]
            xs = [float(values[lang]) for lang in langs]
            ys = [float(mean.loc[lang, rr_method] - mean.loc[lang, baseline]) for lang in langs]
            rho = stats.spearman_permutation(xs, ys)
            notes.append(
                f"− {baseline}: ρ={rho[0]:+.2f}, permutation p={rho[1]:.2f} (n={len(xs)})"
                if rho
                else f"− {baseline}: too few languages (n={len(xs)})"
            )
            ax.scatter(xs, ys, marker=marker, label=f"{rr_method} − {baseline}" if ax is axes[0] else None)
            for x, y, lang in zip(xs, ys, langs):
                ax.annotate(lang, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_xlabel(name)
        ax.set_title("\n".join(notes), fontsize=7, loc="left")
    axes[0].set_ylabel("macro-F1 gain")
    fig.legend(fontsize=7, frameon=False, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.08))
    fig.suptitle(f"{dataset}: where does stitching help? (Spearman's ρ over languages, permutation p)", y=1.04)
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
            (-0.27, "stitching", "stitching cost (English: original → stitched)", "tab:orange"),
            (0.0, "transfer", "transfer cost (stitched on English → target)", "tab:blue"),
            (0.27, "swap", "beyond the multilingual model's own drop", "tab:green"),
        ):
            if f"{column}_cost" not in rows:
                continue
            values = rows[f"{column}_cost"].to_numpy(dtype=float)
            errors = np.array(
                [values - rows[f"{column}_ci_low"].to_numpy(), rows[f"{column}_ci_high"].to_numpy() - values]
            )
            ax.bar(x + offset, values, 0.27, yerr=errors, capsize=2, label=label, color=color)
        ax.set_xticks(x, rows.index, rotation=60, ha="right", fontsize=7)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_title(lang)
    axes[0].set_ylabel("macro-F1 lost")
    if not part.empty:  # below the panels: inside one it covers the bars
        fig.legend(
            *axes[0].get_legend_handles_labels(),
            fontsize=7,
            frameon=False,
            loc="upper center",
            ncol=3,
            bbox_to_anchor=(0.5, -0.22),
        )
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


def plot_criterion(criterion: list[float], unrelated: float, margin: float, title: str, out_png: str) -> None:
    """The unsupervised criterion per refinement step of a dictionary-free alignment, beside
    the one unrelated spaces reach and the failure threshold above it."""
    plt, fig, ax = _figure(4.8, 3.0)
    ax.plot(range(len(criterion)), criterion, marker="o", label="this alignment")
    ax.axhline(unrelated, color="grey", linestyle="--", label="unrelated spaces")
    ax.axhline(unrelated + margin, color="firebrick", linestyle=":", label="failure threshold")
    ax.set_xlabel("refinement step (0: the initial dictionary's map)")
    ax.set_ylabel("mean CSLS of frequent words")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight", dpi=150)
    plt.close(fig)
