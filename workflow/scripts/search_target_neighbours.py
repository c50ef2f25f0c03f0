"""Rule script: the target words' top-k anchors, shared by the weightings (rule search_target_neighbours)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

english = snakemake.input.get("english", ["", ""])
run_rule(
    snakemake.log[0],
    stages.search_target_neighbours,
    anchors_path=snakemake.input.anchors,
    matrix=snakemake.input.vectors[0],
    vocab=snakemake.input.vectors[1],
    k=snakemake.wildcards.k,
    space=snakemake.wildcards.target_space,
    settings=snakemake.params.settings,
    out=snakemake.output[0],
    english_matrix=english[0],
    english_vocab=english[1],
    alignment=snakemake.input.get("alignment", ""),
)
