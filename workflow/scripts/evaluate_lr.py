"""Rule script: the LR baseline on target training data (rule evaluate_lr; not zero-shot)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.evaluate_lr,
    table=snakemake.input.table,
    labels_path=snakemake.input.labels,
    matrix=snakemake.input.vectors[0],
    vocab=snakemake.input.vectors[1],
    tokenization=snakemake.params.tokenization,
    seed=int(snakemake.wildcards.seed),
    out=snakemake.output[0],
)
