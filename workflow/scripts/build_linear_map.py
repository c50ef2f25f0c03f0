"""Rule script: LS or Procrustes map of the target vectors (rule build_linear_map)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.build_linear_map,
    anchors_path=snakemake.input.anchors,
    heldout_path=snakemake.input.heldout,
    matrix=snakemake.input.vectors[0],
    vocab=snakemake.input.vectors[1],
    words_path=snakemake.input.words,
    model=snakemake.input.model,
    linear_map=snakemake.wildcards.linear_map,
    out_rows=snakemake.output.rows,
    out_diagnostics=snakemake.output.diagnostics,
    candidates_path=snakemake.input.candidates,
)
