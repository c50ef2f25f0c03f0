"""Rule script: build F_s and F_t for one language and variant (rule build_relative_embeddings)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

english = snakemake.input.get("english", ["", ""])
run_rule(
    snakemake.log[0],
    stages.build_relative_embeddings,
    anchors_path=snakemake.input.anchors,
    heldout_path=snakemake.input.heldout,
    matrix=snakemake.input.vectors[0],
    vocab=snakemake.input.vectors[1],
    words_path=snakemake.input.words,
    model=snakemake.input.model,
    weighting=snakemake.wildcards.weighting,
    k=snakemake.wildcards.k,
    space=snakemake.wildcards.space,
    settings=snakemake.params.settings,
    out_source=snakemake.output.source,
    out_target=snakemake.output.target,
    out_diagnostics=snakemake.output.diagnostics,
    candidates_path=snakemake.input.candidates,
    english_matrix=english[0],
    english_vocab=english[1],
    alignment=snakemake.input.get("alignment", ""),
    search_path=snakemake.input.get("search", ""),
)
