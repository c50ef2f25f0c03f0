"""Rule script: normalise one dataset language into split/text/label TSV (rule prepare_dataset)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.prepare_dataset,
    spec=snakemake.params.spec,
    dataset=snakemake.wildcards.dataset,
    lang=snakemake.wildcards.lang,
    splits=snakemake.params.splits,
    out=snakemake.output.table,
)
