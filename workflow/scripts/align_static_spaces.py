"""Rule script: orthogonal map of the target static space onto the English one (rule align_static_spaces)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.align_static_spaces,
    anchors_path=snakemake.input.anchors,
    heldout_path=snakemake.input.heldout,
    matrix=snakemake.input.vectors[0],
    vocab=snakemake.input.vectors[1],
    english_matrix=snakemake.input.english[0],
    english_vocab=snakemake.input.english[1],
    model=snakemake.input.model,
    out_map=snakemake.output.matrix,
    out_diagnostics=snakemake.output.diagnostics,
    candidates_path=snakemake.input.candidates,
)
