"""Rule script: tables and findings from every evaluation JSON (rule aggregate)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

out = snakemake.output
run_rule(
    snakemake.log[0],
    stages.aggregate,
    eval_files=list(snakemake.input.evaluations),
    diagnostics_files=list(snakemake.input.diagnostics),
    run=snakemake.params.run,
    seen_languages=snakemake.params.seen_languages,
    sweeps=snakemake.params.sweeps,
    default_k=snakemake.params.default_k,
    out_summary=out.summary,
    out_per_seed=out.per_seed,
    out_main_md=out.main_md,
    out_main_csv=out.main_csv,
    out_sweeps_md=out.sweeps_md,
    out_readme=out.readme,
)
