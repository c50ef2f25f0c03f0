"""Rule script: the dictionary-only control's target rows (rule build_dictionary_rows)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.build_dictionary_rows,
    lexicon_path=snakemake.input.lexicon,
    vocab=snakemake.input.vectors[1],
    words_path=snakemake.input.words,
    model=snakemake.input.model,
    heldout_path=snakemake.input.heldout,
    target_casing=snakemake.params.target_casing,
    method=snakemake.wildcards.dictionary_rows,
    out_rows=snakemake.output.rows,
    out_diagnostics=snakemake.output.diagnostics,
)
