# Stage 5: zero-shot evaluation, one job per (dataset, language, method, seed).


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
        mem_mb=config["compute"]["training_mem_mb"],
        runtime=20,
    params:
        settings=evaluate_params,
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
    params:
        lowercase=lambda wildcards: config["languages"][wildcards.lang].get("lowercase", True),
    script:
        "../workflow/scripts/evaluate_lr.py"


rule language_done:
    input:
        language_evaluations,
    output:
        touch(f"results/{RUN}/languages/{{lang}}.done"),
    log:
        f"logs/{RUN}/languages/{{lang}}.log",
