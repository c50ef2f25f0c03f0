"""Evaluation JSONs read into per-seed scores and the predictions behind them; the
summary over seeds; which methods are stitched, deterministic, and in which order they are
listed."""

from __future__ import annotations

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
    "uniform_macro_f1",
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
    "dict",
    "no-swap",
    "rr-standard",
    "rr-softmax",
    "rr-sparsemax",
]
# Zero-shot methods that put static-vector rows into the model (no-swap reads raw text).
# The dictionary-only control (dict, with or without -cs) reads no static vector: a control,
# not a stitched method (is_stitched). dict-nodict reads them only to induce its dictionary;
# its rows are the PLM's own, as dict's: a control too.
NOT_STITCHED = ("multilingual", "no-swap", "lr", "original", "dict", "dict-nodict")


def is_stitched(method: str) -> bool:
    from mosecrot.plan import codeswitch_base

    return codeswitch_base(method) not in NOT_STITCHED


# Peers evaluated without a step they were published with.
PUBLISHED_WITH = {
    "wechsel": " (zero-shot, without the continued pre-training it was published with)",
    "focus": " (zero-shot, without the continued pre-training it was published with)",
}
# Methods whose result does not depend on the seed: one evaluation is the method.
DETERMINISTIC = ("lr",)


@dataclass
class Evaluations:
    """Per-seed scores, and the per-example predictions behind them for the paired tests."""

    per_seed: pd.DataFrame
    gold: dict[tuple[str, str], list[str]]  # (dataset, language) -> gold labels of the test set
    predicted: dict[tuple[str, str, str], dict[int, list[str]]]  # (dataset, language, method) -> seed -> labels
    curves: list[dict]

    def predictions(self, dataset: str, language: str, method: str) -> dict[int, list[str]]:
        return self.predicted.get((dataset, language, method), {})

    def subset(self, methods: set[str], seeds: set[int]) -> Evaluations:
        """Only these methods, and of the stochastic ones only these seeds (a sweep compares
        its points with the main method on the same seeds)."""
        keep = lambda method, seed: method in methods and (method in DETERMINISTIC or seed in seeds)  # noqa: E731
        rows = self.per_seed[[keep(m, s) for m, s in zip(self.per_seed["method"], self.per_seed["seed"])]]
        predicted = {
            key: {seed: labels for seed, labels in by_seed.items() if keep(key[2], seed)}
            for key, by_seed in self.predicted.items()
            if key[2] in methods
        }
        return Evaluations(rows.reset_index(drop=True), self.gold, predicted, self.curves)


def load_evaluations(paths: list[str], key: Callable[[dict], str] | None = None) -> Evaluations:
    """Read evaluation JSONs. `key` names the system of a result (default: its method)."""
    rows, gold, predicted, curves = [], {}, {}, []
    for path in paths:
        result = read_json(path)
        training = result.get("training") or {}
        switching = training.get("codeswitch") or {}
        switched = [row["codeswitched"] for row in training.get("curve") or [] if "codeswitched" in row]
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
                "dev_loss": training.get("dev_loss"),
                "selected_epoch": training.get("selected_epoch"),
                "tuned_anchors_changed": (result.get("tuned_anchor_rows") or {}).get("changed_by_finetuning"),
                "tuned_anchor_tokens": (result.get("tuned_anchor_rows") or {}).get("anchor_tokens"),
                "codeswitch_rate": switching.get("rate"),
                "codeswitch_english_words": switching.get("switchable_english_words"),
                "codeswitch_training_words": switching.get("switchable_words_in_training_data"),
                "codeswitch_switched_share": (
                    sum(e["switched"] for e in switched) / max(sum(e["words"] for e in switched), 1)
                    if switched
                    else None
                ),
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
        uniform_macro_f1=("uniform_macro_f1", "first"),
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
    """MAIN_ORDER, then the rest sorted; a code-switched method right after its base."""
    from mosecrot.plan import codeswitch_base

    methods = set(methods)
    bases = [m for m in methods if codeswitch_base(m) == m or codeswitch_base(m) not in methods]
    known = [m for m in MAIN_ORDER if m in bases]
    ordered = []
    for base in known + sorted(m for m in bases if m not in known):
        ordered += [base] + sorted(m for m in methods if m != base and codeswitch_base(m) == base)
    return ordered


def write_frame(frame: pd.DataFrame, path: str | Path, index: bool = False) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=index, float_format="%.4f")
