"""Rule script: merge dictionary files into single-word pairs (rule read_lexicon)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.read_lexicon,
    sources=snakemake.params.sources,
    lang=snakemake.wildcards.lang,
    out_pairs=snakemake.output.pairs,
    out_stats=snakemake.output.stats,
    vocab=snakemake.input.vocab,
)
