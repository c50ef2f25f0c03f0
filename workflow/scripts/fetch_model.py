"""Rule script: put a model directory under resources/models (rules fetch_huggingface_model, copy_model)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

params = dict(snakemake.params)
run_rule(
    snakemake.log[0],
    stages.fetch_model,
    out=snakemake.output[0],
    kind=params.get("kind", "huggingface"),
    package=params.get("package", ""),
    path=params.get("path", ""),
    model_id=params.get("model_id", ""),
    revision=params.get("revision") or "main",
)
