"""Rule script: the plots of one dataset (rule plots)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.plots,
    per_seed_csv=snakemake.input.per_seed,
    summary_csv=snakemake.input.summary,
    costs_csv=snakemake.input.costs,
    english_files=list(snakemake.input.english),
    eval_files=list(snakemake.input.evaluations),
    diagnostics_files=list(snakemake.input.diagnostics),
    dataset=snakemake.wildcards.dataset,
    methods=snakemake.params.methods,
    sweeps=snakemake.params.sweeps,
    seeds=snakemake.params.seeds,
    default_k=snakemake.params.default_k,
    settings=snakemake.params.analysis,
    out={name: path for name, path in snakemake.output.items() if name != "pdfs"},
)
