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
    print(f"A job failed: its log under logs/{RUN}/ names the file or language and what to do.")


rule all:
    input:
        analysis_outputs(),


rule evaluations:
    input:
        evaluation_files(),
