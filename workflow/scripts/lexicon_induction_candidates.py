"""Rule script: the candidate PLM tokens of every lexicon-induction diagnostic (rule lexicon_induction_candidates)."""

import sys
from pathlib import Path

# Snakemake sets __file__ to this script's real path, also under --use-conda.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mosecrot import stages
from mosecrot.io import run_rule

english = snakemake.input.get("english", ["", ""])
run_rule(
    snakemake.log[0],
    stages.lexicon_induction_candidates,
    model=snakemake.input.model,
    out=snakemake.output[0],
    english_matrix=english[0],
    english_vocab=english[1],
)
