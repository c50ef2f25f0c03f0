"""Where the loss comes from: stitching, transfer and swap costs per method and language."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mosecrot import stats
from mosecrot.analysis.evaluations import DETERMINISTIC, Evaluations


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
