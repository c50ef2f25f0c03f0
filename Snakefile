# MoSECroT: crosslingual zero-shot transfer by stitching static word embeddings into a
# pre-trained transformer. Stages: rules/*.smk; helpers: rules/common.smk; logic: workflow/lib.
from snakemake.utils import min_version

min_version("9.0")


include: "rules/common.smk"
include: "rules/resources.smk"
include: "rules/data.smk"
include: "rules/relrep.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/analysis.smk"


onstart:
    print(f"MoSECroT run '{RUN}': {len(JOBS)} evaluations; results under results/{RUN}/")


onsuccess:
    print(f"Done: results/{RUN}/README.md holds the findings, results/{RUN}/tables/ the tables.")


onerror:
    print(
        "A job failed. Its log file (Snakemake prints its path above, under 'log:') says why: "
        f"logs/{RUN}/ for this run's stages, logs/download/, logs/models/, logs/prepare/ and "
        "logs/decompress/ for the shared resources. Bad input names the file, the line or the "
        "language and what to do; anything unexpected is logged with its traceback."
    )


rule all:
    input:
        analysis_outputs(),


rule evaluations:
    input:
        evaluation_files(),
