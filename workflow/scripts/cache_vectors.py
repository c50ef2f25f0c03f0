"""Rule script: parse vectors into the .npy + vocabulary cache (rule cache_vectors)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.cache_vectors,
    raw=snakemake.input[0],
    fmt=snakemake.params.fmt,
    top_n=snakemake.params.top_n,
    dim=snakemake.params.dim,
    out_matrix=snakemake.output[0],
    out_vocab=snakemake.output[1],
    out_beyond=snakemake.output[2],
    out_stats=snakemake.output[3],
    threads=snakemake.threads,
)
