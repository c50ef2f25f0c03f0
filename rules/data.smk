# Stage 2: parse raw inputs into the cached formats every later rule reads.


rule cache_vectors:
    input:
        raw_vectors,
    output:
        vectors_cache("{lang}"),
    log:
        f"logs/{RUN}/vectors/{{lang}}.log",
    benchmark:
        f"benchmarks/{RUN}/vectors/{{lang}}.tsv"
    priority: 10
    conda:
        "../envs/download.yaml"
    threads: config["compute"]["relrep_threads"]
    resources:
        mem_mb=scaled(8000),
        runtime=scaled(30),
    params:
        fmt=vector_format,
        top_n=config["vectors"]["top_n"],
        dim=config["vectors"]["dim"],
    script:
        "../workflow/scripts/cache_vectors.py"


rule read_lexicon:
    input:
        files=lexicon_files,
        vocab=f"results/{RUN}/vectors/{{lang}}/vectors.vocab.txt",
    output:
        pairs=f"results/{RUN}/lexicons/{{lang}}.tsv",
        stats=f"results/{RUN}/lexicons/{{lang}}.stats.json",
    log:
        f"logs/{RUN}/lexicons/{{lang}}.log",
    conda:
        "../envs/download.yaml"
    params:
        sources=lambda wildcards: lexicon_sources(wildcards.lang),
    script:
        "../workflow/scripts/read_lexicon.py"


rule prepare_dataset:
    output:
        table=f"results/{RUN}/data/{{dataset}}/{{lang}}.tsv",
    log:
        f"logs/{RUN}/data/{{dataset}}/{{lang}}.log",
    wildcard_constraints:
        dataset=_alternatives(set(config["datasets"]) - set(HUB_DATASETS)),
    conda:
        "../envs/download.yaml"
    params:
        spec=dataset_spec,
        splits=dataset_splits,
    script:
        "../workflow/scripts/prepare_dataset.py"


# Hub datasets are fetched on the submitting node (compute nodes often have no internet).
rule prepare_hub_dataset:
    output:
        table=f"results/{RUN}/data/{{dataset}}/{{lang}}.tsv",
    log:
        f"logs/{RUN}/data/{{dataset}}/{{lang}}.log",
    wildcard_constraints:
        dataset=_alternatives(HUB_DATASETS),
    localrule: True
    conda:
        "../envs/download.yaml"
    params:
        spec=dataset_spec,
        splits=dataset_splits,
    script:
        "../workflow/scripts/prepare_dataset.py"


rule dataset_labels:
    input:
        f"results/{RUN}/data/{{dataset}}/{SRC}.tsv",
    output:
        f"results/{RUN}/data/{{dataset}}/labels.json",
    log:
        f"logs/{RUN}/data/{{dataset}}/labels.log",
    localrule: True
    conda:
        "../envs/download.yaml"
    script:
        "../workflow/scripts/dataset_labels.py"
