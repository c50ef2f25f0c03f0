"""Rule script: WECHSEL or FOCUS target rows for one language (rule build_peer_embeddings)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

english = snakemake.input.get("english", ["", ""])
run_rule(
    snakemake.log[0],
    stages.build_peer_embeddings,
    peer=snakemake.wildcards.peer,
    settings=snakemake.params.settings,
    matrix=snakemake.input.vectors[0],
    vocab=snakemake.input.vectors[1],
    words_path=snakemake.input.words,
    model=snakemake.input.model,
    heldout_path=snakemake.input.heldout,
    out_rows=snakemake.output.rows,
    out_diagnostics=snakemake.output.diagnostics,
    candidates_path=snakemake.input.candidates,
    english_matrix=english[0],
    english_vocab=english[1],
    alignment=snakemake.input.get("alignment", ""),
)
