"""Rule script: fine-tune one model on English data (rule finetune)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

run_rule(
    snakemake.log[0],
    stages.finetune,
    table=snakemake.input.table,
    labels_path=snakemake.input.labels,
    model=snakemake.input.model,
    out_dir=snakemake.output[0],
    settings={
        **snakemake.params.settings,
        "threads": snakemake.threads,
        "resume_every_s": snakemake.config["training"]["resume_every_s"],
    },
    seed=int(snakemake.wildcards.seed),
    embeddings=snakemake.input.get("embeddings", ""),
    resume=snakemake.output[0].rstrip("/") + ".resume.pt",
    switch_pairs=snakemake.input.get("switch_pairs", ""),
    switch_rows=snakemake.input.get("switch_rows", ""),
)
