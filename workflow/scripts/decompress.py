"""Rule script: decompress a .gz download (rule decompress_vectors; fastText reads plain .bin only)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(snakemake.log[0], stages.decompress, source=snakemake.input[0], out=snakemake.output[0])
