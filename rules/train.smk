# Stage 4: fine-tuning on English data, one job per (dataset, language, model, seed).


rule finetune:
    input:
        unpack(finetune_inputs),
    output:
        directory(f"results/{RUN}/models/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}"),
    params:
        settings=training_params,
    log:
        f"logs/{RUN}/finetune/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}.log",
    benchmark:
        f"benchmarks/{RUN}/finetune/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}.tsv"
    threads: config["training"]["threads"]
    resources:
        gpu=config["compute"]["training_gpus"],
    conda:
        "../envs/train.yaml"
    script:
        "../workflow/scripts/finetune.py"
