"""Rule script: tables, tested claims, costs and findings from every evaluation (rule aggregate)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.aggregate,
    eval_files=list(snakemake.input.evaluations),
    english_files=list(snakemake.input.english),
    diagnostics_files=list(snakemake.input.diagnostics),
    run=snakemake.params.run,
    methods=snakemake.params.methods,
    seen_languages=snakemake.params.seen_languages,
    sweeps=snakemake.params.sweeps,
    seeds=snakemake.params.seeds,
    default_k=snakemake.params.default_k,
    settings=snakemake.params.analysis,
    out=dict(snakemake.output.items()),
    codeswitch=snakemake.params.codeswitch,
)
