"""Rule script: the dictionary pairs code-switched fine-tuning may switch (rule codeswitch_pairs)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.codeswitch_pairs,
    lexicon_path=snakemake.input.lexicon,
    vocab=snakemake.input.vectors[1],
    anchors_path=snakemake.input.anchors,
    heldout_path=snakemake.input.heldout,
    split=snakemake.wildcards.split,
    target_casing=snakemake.params.target_casing,
    out_pairs=snakemake.output.pairs,
    out_stats=snakemake.output.stats,
)
