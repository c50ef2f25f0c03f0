"""How much the larger target test sets shrink the test-set term of the claims' variance.

For every tested claim of a finished run, the test-set standard deviation of the difference
(stats.method_test's test-set term) on the whole target test set and on its first rows only:
the sentences a run with `extra_test_per_intent: 0` would have had (the extra sentences are
appended after them, datasets.sample_intents). Same models, same predictions, two test sets.

  .venv/bin/python tools/test_set_term.py config/demo.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "lib"))


def plain_test_labels(config: dict, dataset: str) -> dict[str, list[str]]:
    """Per target language, the gold labels of the plain sample's test rows (no extra sentences)."""
    from mosecrot import datasets

    spec = config["datasets"][dataset]
    labels = {}
    for lang in spec["languages"]:
        frame = datasets.intents_from_spec(spec, lang, extra_test=False)
        labels[lang] = frame.loc[frame["split"] == "test", "label"].tolist()
    return labels


def main(config_path: str) -> None:
    from mosecrot import analysis, stats
    from snakemake.utils import validate

    config = yaml.safe_load((ROOT / config_path).read_text())
    validate(config, str(ROOT / "workflow/schemas/config.schema.yaml"))  # the defaults a run reads
    results = ROOT / "results" / config["run"]
    claims = pd.read_csv(results / "tables" / "claims.csv")
    claims = claims[claims["verdict"] != "untested"]
    evaluations = analysis.load_evaluations([str(p) for p in sorted((results / "eval").glob("*/*/*/seed*.json"))])
    resamples, seed = 2000, 0
    rows = []
    for dataset in sorted(set(claims["dataset"])):
        plain = plain_test_labels(config, dataset)
        for row in claims[claims["dataset"] == dataset].itertuples():
            gold = evaluations.gold[(dataset, row.language)]
            better = evaluations.predictions(dataset, row.language, row.better)
            worse = evaluations.predictions(dataset, row.language, row.worse)
            a = np.array([better[s] for s in sorted(better)])
            b = np.array([worse[s] for s in sorted(worse)])
            n = len(plain[row.language])
            if gold[:n] != plain[row.language]:
                raise SystemExit(f"{dataset}/{row.language}: the test set does not start with the plain sample")
            paired = bool(row.seeds_paired)  # as the claims table tested it
            whole = stats.method_test(gold, a, b, resamples, seed, paired).test_set_variance
            first = stats.method_test(gold[:n], a[:, :n], b[:, :n], resamples, seed, paired).test_set_variance
            rows.append({"language": row.language, "n_plain": n, "n_all": len(gold), "sd_plain": first**0.5,
                         "sd_all": whole**0.5})  # fmt: skip
    frame = pd.DataFrame(rows)
    for lang, part in frame.groupby("language"):
        ratio = (part["sd_all"] / part["sd_plain"].where(part["sd_plain"] > 0)).median()
        print(
            f"{lang}: {part['n_plain'].iloc[0]} -> {part['n_all'].iloc[0]} test sentences; test-set sd of a "
            f"claim's difference, median over {len(part)} claims: {part['sd_plain'].median():.4f} -> "
            f"{part['sd_all'].median():.4f} (median ratio {ratio:.2f}; 1/sqrt of the size ratio: "
            f"{(part['n_plain'].iloc[0] / part['n_all'].iloc[0]) ** 0.5:.2f})"
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "config/demo.yaml")
