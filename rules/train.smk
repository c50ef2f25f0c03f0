# Stage 4: fine-tuning on English data, one job per (dataset, language, model, seed).
# Each epoch is checkpointed beside the output (<output>.resume.pt, deleted on success):
# a job killed at its time limit resumes on its retry, with more time (scaled).


rule finetune:
    input:
        unpack(finetune_inputs),
    output:
        checkpoint_output(),
    log:
        f"logs/{RUN}/finetune/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}.log",
    benchmark:
        f"benchmarks/{RUN}/finetune/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}.tsv"
    conda:
        "../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=config["compute"]["training_gpus"],
        mem_mb=scaled(config["compute"]["training_mem_mb"]),
        runtime=scaled(config["compute"]["training_runtime"]),
    params:
        settings=training_params,
    script:
        "../workflow/scripts/finetune.py"
