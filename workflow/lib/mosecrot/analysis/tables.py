"""The paper-style tables: methods x languages, and the sweeps."""

from __future__ import annotations

import math

import pandas as pd

from mosecrot.analysis.evaluations import DETERMINISTIC, PUBLISHED_WITH, Evaluations, method_order, summarize


def paper_table(
    summary: pd.DataFrame, dataset: str, methods: list[str] | None = None, languages: list[str] | None = None
) -> tuple[pd.DataFrame, str]:
    """Rows = methods, columns = languages + avg: 'mean ± sd [95% CI]' (one-seed rows say so
    instead of an sd); in bold the best zero-shot method per column among those with the most
    seeds (a one-seed score is never bolded over a three-seed mean); two chance rows: the
    majority class and uniform random guessing. Returns (numeric frame, Markdown)."""
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
    zero_shot = part.groupby("method")["zero_shot"].first().reindex(methods).fillna(True).astype(bool)
    seeds = pivot["n_seeds"].copy()
    seeds["avg"] = seeds.min(axis=1, skipna=False)
    eligible = seeds[zero_shot.to_numpy()]
    best = mean[zero_shot.to_numpy()].where(eligible == eligible.max(axis=0)).max(axis=0)
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
                if seeds.loc[method, lang] > 1:
                    spread = f" ± {pivot['macro_f1_sd'].loc[method, lang]:.3f}"
                else:
                    spread = " (deterministic)" if method in DETERMINISTIC else " (1 seed)"
                text += f"{spread} [{low:.2f}, {high:.2f}]"
            bold = (
                zero_shot[method]
                and math.isclose(value, best[lang])
                and seeds.loc[method, lang] == eligible[lang].max()
            )
            cells.append(f"**{text}**" if bold else text)
        label = method + ("" if zero_shot[method] else " (not zero-shot)") + PUBLISHED_WITH.get(method, "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    numeric = mean.copy()
    for column, label in (("chance_macro_f1", "chance (majority)"), ("uniform_macro_f1", "chance (uniform guess)")):
        chance = part.groupby("language")[column].first().reindex(languages)
        lines.append(f"| {label} | " + " | ".join(f"{c:.3f}" for c in chance) + f" | {chance.mean():.3f} |")
        numeric.loc[label] = list(chance) + [chance.mean()]
    return numeric, "\n".join(lines) + "\n"


def sweep_summary(
    evaluations: Evaluations, rows: dict[str, str], seeds: list[int], resamples: int, seed: int
) -> pd.DataFrame:
    """The summary of a sweep's methods (main row included) on the sweep's seeds only."""
    return summarize(evaluations.subset(set(rows.values()), set(seeds)), resamples, seed)


def sweep_table(
    summary: pd.DataFrame, dataset: str, rows: dict[str, str], languages: list[str] | None = None
) -> tuple[pd.DataFrame, str]:
    """A sweep (row label -> method) as a paper-style table, with each row's seed count
    (`summary` from sweep_summary: every row on the same seeds), on the sweep's languages
    (None: every language)."""
    present = {label: m for label, m in rows.items() if m in set(summary["method"])}
    part = summary[summary["method"].isin(present.values())].copy()
    seeds = part.groupby("method")["n_seeds"].max()
    renamed_rows = {label: f"{label} ({seeds[m]} seed{'s' if seeds[m] > 1 else ''})" for label, m in present.items()}
    part["method"] = part["method"].map({m: renamed_rows[label] for label, m in present.items()})
    present_languages = sorted(set(part[part["dataset"] == dataset]["language"]) - {"en"})
    chosen = [lang for lang in present_languages if not languages or lang in languages]
    return paper_table(part, dataset, methods=list(renamed_rows.values()), languages=chosen or None)
