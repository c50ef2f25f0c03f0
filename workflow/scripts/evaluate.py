"""Rule script: evaluate every seed's fine-tuned model on one test set (rules evaluate,
evaluate_english and their sweep twins)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

inputs = snakemake.input
vectors = inputs.get("vectors", ["", ""])
models = [inputs.models] if isinstance(inputs.models, str) else list(inputs.models)
run_rule(
    snakemake.log[0],
    stages.evaluate_seeds,
    models=models,
    outs=list(snakemake.output),
    seeds=list(snakemake.params.seeds),
    table=inputs.table,
    labels_path=inputs.labels,
    settings={**snakemake.params.settings, "threads": snakemake.threads},
    vectors_matrix=vectors[0],
    vectors_vocab=vectors[1],
    plm=inputs.get("plm", ""),
    target=inputs.get("target", ""),
    source_rows=inputs.get("source_rows", ""),
    anchors_path=inputs.get("anchors", ""),
    diagnostics=inputs.get("diagnostics", ""),
    bin_path=inputs.get("bin", ""),
)
