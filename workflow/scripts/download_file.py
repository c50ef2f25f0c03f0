"""Rule script: download one file atomically, with a manifest (rule download_file)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.download_file,
    url=snakemake.params.url,
    out=snakemake.output.file,
    manifest=snakemake.output.manifest,
    sha256=snakemake.params.sha256,
)
