# Stage 4: fine-tuning on English data, one job per (dataset, language, model, seed).


rule finetune:
    input:
        unpack(finetune_inputs),
    output:
        directory(f"results/{RUN}/models/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}"),
    log:
        f"logs/{RUN}/finetune/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}.log",
    benchmark:
        f"benchmarks/{RUN}/finetune/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}.tsv"
    conda:
        "../envs/train.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=config["compute"]["training_gpus"],
        mem_mb=config["compute"]["training_mem_mb"],
        runtime=config["compute"]["training_runtime"],
    params:
        settings=training_params,
    script:
        "../workflow/scripts/finetune.py"
