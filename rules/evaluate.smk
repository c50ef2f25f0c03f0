# Stage 5: evaluation, one job per (dataset, language, method) that evaluates every seed's
# model in turn, and one per fine-tuned training on the English test set with its own
# embedding layer (where the loss comes from: stitching or the swap). A job per seed paid
# its imports (~2.6 CPU-s) once per model. The Slurm profile groups these short jobs.


rule evaluate:
    input:
        unpack(evaluate_inputs),
    output:
        expand(
            f"results/{RUN}/eval/{{{{dataset}}}}/{{{{lang}}}}/{{{{method}}}}/seed{{seed}}.json",
            seed=SEEDS,
        ),
    log:
        f"logs/{RUN}/eval/{{dataset}}/{{lang}}/{{method}}.log",
    wildcard_constraints:
        method=MAIN_METHODS,
    conda:
        "../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=config["compute"]["training_gpus"],
        mem_mb=scaled(config["compute"]["evaluation_mem_mb"]),
        runtime=scaled(config["compute"]["evaluation_runtime"] * len(SEEDS)),
    params:
        settings=evaluate_params,
        seeds=SEEDS,
    script:
        "../workflow/scripts/evaluate.py"


# Methods that only a sweep adds, on sweeps.seeds.
use rule evaluate as evaluate_sweep with:
    output:
        expand(
            f"results/{RUN}/eval/{{{{dataset}}}}/{{{{lang}}}}/{{{{method}}}}/seed{{seed}}.json",
            seed=SWEEP_SEEDS,
        ),
    wildcard_constraints:
        method=SWEEP_METHODS,
    resources:
        gpu=config["compute"]["training_gpus"],
        mem_mb=scaled(config["compute"]["evaluation_mem_mb"]),
        runtime=scaled(config["compute"]["evaluation_runtime"] * len(SWEEP_SEEDS)),
    params:
        settings=evaluate_params,
        seeds=SWEEP_SEEDS,


rule evaluate_english:
    input:
        unpack(english_evaluation_inputs),
    output:
        expand(
            f"results/{RUN}/eval_english/{{{{dataset}}}}/{{{{lang}}}}/{{{{training}}}}/seed{{seed}}.json",
            seed=SEEDS,
        ),
    log:
        f"logs/{RUN}/eval_english/{{dataset}}/{{lang}}/{{training}}.log",
    wildcard_constraints:
        training=MAIN_TRAININGS,
    conda:
        "../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=config["compute"]["training_gpus"],
        mem_mb=scaled(config["compute"]["evaluation_mem_mb"]),
        runtime=scaled(config["compute"]["evaluation_runtime"] * len(SEEDS)),
    params:
        settings=english_evaluation_params,
        seeds=SEEDS,
    script:
        "../workflow/scripts/evaluate.py"


use rule evaluate_english as evaluate_english_sweep with:
    output:
        expand(
            f"results/{RUN}/eval_english/{{{{dataset}}}}/{{{{lang}}}}/{{{{training}}}}/seed{{seed}}.json",
            seed=SWEEP_SEEDS,
        ),
    wildcard_constraints:
        training=SWEEP_TRAININGS,
    resources:
        gpu=config["compute"]["training_gpus"],
        mem_mb=scaled(config["compute"]["evaluation_mem_mb"]),
        runtime=scaled(config["compute"]["evaluation_runtime"] * len(SWEEP_SEEDS)),
    params:
        settings=english_evaluation_params,
        seeds=SWEEP_SEEDS,


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
