"""Rule script: the target words every construction builds rows for (rule target_words)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.target_words,
    tables=list(snakemake.input.tables),
    lexicon_path=snakemake.input.lexicon,
    vocab=snakemake.input.vectors[1],
    tokenization=snakemake.params.tokenization,
    out_rows=snakemake.output.rows,
    out_stats=snakemake.output.stats,
)
