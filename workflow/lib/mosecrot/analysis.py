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
# not a stitched method (is_stitched).
NOT_STITCHED = ("multilingual", "no-swap", "lr", "original", "dict")


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
                rows.append(row | {"untested": f"{' and '.join(single)}: one seed, no seed variance"})
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


def finalize_claims(rows: list[dict], alpha: float) -> pd.DataFrame:
    """Holm-correct the family of tested rows, give each row its verdict and a simultaneous
    interval (Bonferroni: each at level 1 - alpha/m, so all m cover together with
    probability >= 1 - alpha)."""
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
        "size, not that they are equal.",
        "",
        "| dataset | claim | language | difference [simultaneous CI] | per-seed differences | seeds | p | p (Holm) "
        "| verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in claims.itertuples():
        seeds = f"{row.seeds_better} vs {row.seeds_worse}"
        if row.verdict == "untested":
            lines.append(
                f"| {row.dataset} | {row.claim} | {row.language} | – | – | {seeds} | – | – | untested: {row.untested} |"
            )
            continue
        lines.append(
            f"| {row.dataset} | {row.claim} | {row.language} | {row.difference:+.3f} "
            f"[{row.ci_low:+.3f}, {row.ci_high:+.3f}] | {row.per_seed_differences} | {seeds} | {row.p_value:.4f} | "
            f"{row.p_holm:.4f} | {row.verdict} |"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- where the loss comes from


def transfer_costs(
    evaluations: Evaluations, english: Evaluations, methods: list[str], default_k, resamples: int, seed: int
) -> pd.DataFrame:
    """Per (dataset, method, language), all at the level of methods (seeds and examples):
    - stitching cost = English reference (the model the method starts from, unstitched) -
      the stitched model, both on the English test set;
    - transfer cost = the stitched model on English - the same model on the target test set.
      The two test sets are not translations of each other, so this also holds how much
      harder the target set is;
    - swap cost = transfer cost - the multilingual model's own drop between the same two
      test sets: it swaps nothing, so its drop holds the target set's difficulty (and its
      own crosslingual loss); the swap cost is the transfer cost beyond that."""
    from mosecrot import plan

    rows = []
    source = plan.SOURCE_LANG
    targets = evaluations.per_seed[evaluations.per_seed["language"] != source]
    for (dataset, lang, name), _ in targets.groupby(["dataset", "language", "method"]):
        if name not in methods or name in DETERMINISTIC:
            continue
        method = plan.parse_method(name, default_k)
        reference_name = "multilingual" if method.kind == "multilingual" else "original"
        reference = evaluations.predictions(dataset, source, reference_name)
        if method.kind == "rr" or method.codeswitch:  # its own model, trained for this language
            stitched = english.predictions(dataset, source, f"{lang}/{method.training}")
        else:
            stitched = reference  # the model keeps its own embeddings on English
        target = evaluations.predictions(dataset, lang, name)
        seeds = sorted(set(stitched) & set(target))
        if not (reference and seeds):
            continue
        english_gold, target_gold = evaluations.gold[(dataset, source)], evaluations.gold[(dataset, lang)]
        as_array = lambda runs, keys: np.array([runs[s] for s in keys])  # noqa: E731
        stitching = stats.method_test(
            english_gold,
            as_array(reference, sorted(reference)),
            as_array(stitched, sorted(stitched)),
            resamples,
            seed,
            shared_checkpoints=stitched is reference,  # a method that keeps the model's own rows on English
        )
        rng = np.random.default_rng(seed)
        # The model's drop from English to the target set, per seed (the same model on both).
        multi_en = evaluations.predictions(dataset, source, "multilingual")
        multi_tgt = evaluations.predictions(dataset, lang, "multilingual")
        multi_seeds = sorted(set(multi_en) & set(multi_tgt))
        en_systems = [as_array(stitched, seeds)] + ([as_array(multi_en, multi_seeds)] if multi_seeds else [])
        tgt_systems = [as_array(target, seeds)] + ([as_array(multi_tgt, multi_seeds)] if multi_seeds else [])
        en = stats.seed_replicates(english_gold, en_systems, resamples, rng)
        tgt = stats.seed_replicates(target_gold, tgt_systems, resamples, rng)
        drop = [(e[0] - t[0], e[1] - t[1]) for e, t in zip(en, tgt)]
        transfer = stats.welch_from_replicates(*drop[0], np.zeros(1), np.zeros((resamples, 1)))
        row = {
            "dataset": dataset,
            "method": name,
            "language": lang,
            "english_reference": reference_name,
            "reference_english_f1": float(np.mean(stitching.seed_scores_a)),
            "stitched_english_f1": float(en[0][0].mean()),
            "target_f1": float(tgt[0][0].mean()),
            "stitching_cost": stitching.difference,
            "stitching_p": stitching.p_value,
            "transfer_cost": transfer[0],
            "seeds": len(seeds),
        }
        row.update(_interval_columns("stitching", stitching.difference, stitching.se, stitching.df))
        row.update(_interval_columns("transfer", *transfer[:3]))
        if len(drop) == 2 and name != "multilingual":
            swap = stats.welch_from_replicates(*drop[0], *drop[1])
            row |= {"multilingual_drop": float(drop[1][0].mean()), "swap_cost": swap[0], "swap_p": swap[3]}
            row.update(_interval_columns("swap", *swap[:3]))
        rows.append(row)
    return pd.DataFrame(rows)


def _interval_columns(name: str, estimate: float, se: float, df: float, level: float = 0.95) -> dict:
    half = float(stats.t_half_width(se, df, level))
    return {f"{name}_ci_low": estimate - half, f"{name}_ci_high": estimate + half}


def costs_markdown(costs: pd.DataFrame) -> str:
    if costs.empty:
        return "No stitched model was evaluated on English in this run.\n"
    lines = [
        "English reference: the model each method starts from, unstitched (original English model, or the "
        "multilingual one), on the English test set. Costs in macro-F1 points, seed means, 95% method-level "
        "intervals (seeds and examples). The English and target test sets are not translations of each other: "
        "the transfer cost also holds how much harder the target set is. The multilingual model swaps nothing; "
        "its own drop between the same two sets holds that difficulty (and its own crosslingual loss): the last "
        "column is the transfer cost beyond it.",
        "",
        "| dataset | method | language | reference (en) | stitched (en) | target | stitching cost | transfer cost "
        "| multilingual's own drop | beyond that drop |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    interval = lambda row, name: (  # noqa: E731
        "–"
        if pd.isna(getattr(row, f"{name}_cost", np.nan))
        else f"{getattr(row, f'{name}_cost'):+.3f} [{getattr(row, f'{name}_ci_low'):+.3f}, "
        f"{getattr(row, f'{name}_ci_high'):+.3f}]"
    )
    for row in costs.itertuples():
        drop = getattr(row, "multilingual_drop", np.nan)
        lines.append(
            f"| {row.dataset} | {row.method} | {row.language} | {row.reference_english_f1:.3f} | "
            f"{row.stitched_english_f1:.3f} | {row.target_f1:.3f} | {interval(row, 'stitching')} | "
            f"{interval(row, 'transfer')} | {'–' if pd.isna(drop) else f'{drop:+.3f}'} | {interval(row, 'swap')} |"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- findings


def _verdict_counts(rows: pd.DataFrame) -> str:
    counts = rows["verdict"].value_counts()
    order = ("supported", "contradicted", "not significant", "untested")
    return ", ".join(f"{counts.get(v, 0)} {v}" for v in order if counts.get(v, 0))


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
    lines = []
    if not claims.empty:
        tested = int((claims["verdict"] != "untested").sum())
        lines.append(
            f"Each claim is tested per language and per RR weighting, each pair of methods once: {tested} "
            "method-level comparisons (seeds and test examples both random), Holm-corrected (alpha = "
            f'{alpha}); "supported" means the corrected test rejects in the claimed direction, "not significant" '
            "that this run cannot tell the two methods apart (not that they are equal)."
        )
        lines.append("")
        for group, rows in claims.groupby("group", sort=False):
            lines.append(f"- *{group}*: {_verdict_counts(rows)} (of {len(rows)}).")
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
        key = f"rr {method.relrep_variant}" if method.kind == "rr" else method.kind
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
