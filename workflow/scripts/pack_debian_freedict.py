"""Rule script: pack Debian FreeDict files as a FreeDict tarball (rule pack_debian_freedict)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(snakemake.log[0], stages.pack_debian_freedict, index=snakemake.input.index, out=snakemake.output[0])
