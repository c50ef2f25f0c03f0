"""How the comparison depends on the learning rate: the same methods fine-tuned at several
rates (and epochs), each rate chosen per method by the English dev set only (zero-shot: no
target data decides anything), and the target-side scores at every rate beside it."""

from __future__ import annotations

import pandas as pd

from mosecrot import plan

COLUMNS = ["method", "learning_rate", "epochs", "seeds", "dev_macro_f1", "dev_loss", "selected_epoch"]


def rate_rows(runs: list[tuple[float, int, pd.DataFrame]], methods: list[str]) -> pd.DataFrame:
    """One row per (method, rate): its run's English dev macro-F1 and dev loss at the selected
    epoch (mean over seeds and, for models trained per language, languages), the mean selected
    epoch, and the target macro-F1 per language (mean over seeds). `runs`: (learning rate,
    epochs, the run's per-seed table: analysis.load_evaluations(...).per_seed). `chosen` marks
    each method's rate by the English dev rule (choose_rates)."""
    rows = []
    for rate, epochs, per_seed in runs:
        targets = per_seed[per_seed["language"] != plan.SOURCE_LANG]
        for method in methods:
            part = targets[targets["method"] == method]
            if part.empty:
                continue
            row = {
                "method": method,
                "learning_rate": rate,
                "epochs": epochs,
                "seeds": part["seed"].nunique(),
                "dev_macro_f1": part["dev_macro_f1"].mean(),
                "dev_loss": part["dev_loss"].mean(),
                "selected_epoch": part["selected_epoch"].mean(),
            }
            row |= part.groupby("language")["macro_f1"].mean().to_dict()
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["chosen"] = choose_rates(frame)
    return frame


def choose_rates(frame: pd.DataFrame) -> pd.Series:
    """Per method, the rate whose models score best on the English dev set: highest mean dev
    macro-F1, then lowest mean dev loss (the same rule that picks each model's epoch)."""
    best = frame.sort_values(["dev_macro_f1", "dev_loss"], ascending=[False, True]).groupby("method").head(1)
    return frame.index.isin(best.index)


def rate_markdown(frame: pd.DataFrame, base_rate: float) -> str:
    if frame.empty:
        return "No method of the sweep was evaluated.\n"
    languages = [c for c in frame.columns if c not in {*COLUMNS, "chosen"}]
    lines = [
        "Each method fine-tuned at every rate (its epochs beside it), the same seeds and test sets. *chosen*: the "
        "rate the English dev set picks for that method (highest mean dev macro-F1, then lowest dev loss); the "
        f"target columns are never used to choose. The demo's own rate is {base_rate:g}.",
        "",
        "| method | rate | epochs | seeds | English dev macro-F1 | dev loss | selected epoch (mean) | "
        + " | ".join(languages)
        + " | chosen by English dev |",
        "|---" * (8 + len(languages)) + "|",
    ]
    for _, row in frame.sort_values(["method", "learning_rate"], ascending=[True, False]).iterrows():
        cells = " | ".join(f"{row[lang]:.3f}" for lang in languages)
        lines.append(
            f"| {row['method']} | {row['learning_rate']:g} | {row['epochs']} | {row['seeds']} | "
            f"{row['dev_macro_f1']:.3f} | {row['dev_loss']:.3f} | {row['selected_epoch']:.1f} | {cells} | "
            f"{'yes' if row['chosen'] else ''} |"
        )
    return "\n".join(lines) + "\n"
