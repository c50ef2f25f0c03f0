"""Rule script: select anchors for one language and anchor set (rule select_anchors)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.select_anchors,
    lexicon_path=snakemake.input.lexicon,
    matrix=snakemake.input.vectors[0],
    vocab=snakemake.input.vectors[1],
    beyond=snakemake.input.vectors[2],
    model=snakemake.input.model,
    lang=snakemake.wildcards.lang,
    settings=snakemake.params.settings,
    english_casing=snakemake.params.english_casing,
    out_anchors=snakemake.output.anchors,
    out_heldout=snakemake.output.heldout,
    out_stats=snakemake.output.stats,
    dictionary_path=snakemake.input.get("dictionary", ""),
)
