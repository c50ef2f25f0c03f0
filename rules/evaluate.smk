# Stage 5: evaluation, one job per (dataset, language, method, seed), and one per
# fine-tuned model on the English test set with its own embedding layer (where the
# loss comes from: stitching or the swap). The Slurm profile groups these short jobs.


rule evaluate:
    input:
        unpack(evaluate_inputs),
    output:
        f"results/{RUN}/eval/{{dataset}}/{{lang}}/{{method}}/seed{{seed}}.json",
    log:
        f"logs/{RUN}/eval/{{dataset}}/{{lang}}/{{method}}/seed{{seed}}.log",
    conda:
        "../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=config["compute"]["training_gpus"],
        mem_mb=scaled(config["compute"]["evaluation_mem_mb"]),
        runtime=scaled(config["compute"]["evaluation_runtime"]),
    params:
        settings=evaluate_params,
    script:
        "../workflow/scripts/evaluate.py"


rule evaluate_english:
    input:
        unpack(english_evaluation_inputs),
    output:
        f"results/{RUN}/eval_english/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}.json",
    log:
        f"logs/{RUN}/eval_english/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}.log",
    conda:
        "../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=config["compute"]["training_gpus"],
        mem_mb=scaled(config["compute"]["evaluation_mem_mb"]),
        runtime=scaled(config["compute"]["evaluation_runtime"]),
    params:
        settings=english_evaluation_params,
    script:
        "../workflow/scripts/evaluate.py"


rule evaluate_lr:
    input:
        table=lambda wildcards: dataset_table(wildcards.dataset, wildcards.lang),
        labels=f"results/{RUN}/data/{{dataset}}/labels.json",
        vectors=vectors_cache("{lang}"),
    output:
        f"results/{RUN}/eval/{{dataset}}/{{lang}}/lr/seed{{seed}}.json",
    log:
        f"logs/{RUN}/eval/{{dataset}}/{{lang}}/lr/seed{{seed}}.log",
    conda:
        "../envs/train.yaml"
    resources:
        mem_mb=scaled(4000),
    params:
        tokenization=lambda wildcards: tokenization(wildcards.lang),
    script:
        "../workflow/scripts/evaluate_lr.py"


rule language_done:
    input:
        language_evaluations,
    output:
        touch(f"results/{RUN}/languages/{{lang}}.done"),
    log:
        f"logs/{RUN}/languages/{{lang}}.log",
    localrule: True
