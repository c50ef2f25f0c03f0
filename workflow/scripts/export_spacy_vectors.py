"""Rule script: export a spaCy vector table as a .vec file (rule export_spacy_vectors)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.export_spacy_vectors,
    package=snakemake.params.package,
    path=snakemake.params.path,
    lang=snakemake.wildcards.lang,
    out=snakemake.output[0],
    top_n=snakemake.params.top_n,
)
