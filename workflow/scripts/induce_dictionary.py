"""Rule script: a bilingual dictionary induced without one (rule induce_dictionary)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.induce_dictionary,
    matrix=snakemake.input.vectors[0],
    vocab=snakemake.input.vectors[1],
    english_matrix=snakemake.input.english[0],
    english_vocab=snakemake.input.english[1],
    heldout_path=snakemake.input.heldout,
    settings=snakemake.params.settings,
    out_lexicon=snakemake.output.lexicon,
    out_map=snakemake.output.matrix,
    out_diagnostics=snakemake.output.diagnostics,
    out_plot=snakemake.output.plot,
)
