# Stage 3: anchors, relative embedding matrices (FAISS top-k), LS/Procrustes maps.


rule select_anchors:
    input:
        lexicon=f"results/{RUN}/lexicons/{{lang}}.tsv",
        vectors=vectors_cache("{lang}"),
        model=model_dir("source"),
    output:
        anchors=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.tsv",
        heldout=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.heldout.tsv",
        stats=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.stats.json",
    log:
        f"logs/{RUN}/anchors/{{lang}}/{{anchor_set}}.log",
    conda:
        "../envs/search.yaml"
    params:
        settings=anchor_set_settings,
        english_casing=config["models"]["source"]["casing"],
    script:
        "../workflow/scripts/select_anchors.py"


rule build_relative_embeddings:
    input:
        unpack(relrep_inputs),
    output:
        source=f"{relrep_dir('{lang}', '{weighting}-k{k}-{anchor_set}-{space}')}/source.npy",
        target=f"{relrep_dir('{lang}', '{weighting}-k{k}-{anchor_set}-{space}')}/target.npy",
        neighbours=f"{relrep_dir('{lang}', '{weighting}-k{k}-{anchor_set}-{space}')}/target_neighbours.npz",
        diagnostics=f"{relrep_dir('{lang}', '{weighting}-k{k}-{anchor_set}-{space}')}/diagnostics.json",
    log:
        f"logs/{RUN}/relrep/{{lang}}/{{weighting}}-k{{k}}-{{anchor_set}}-{{space}}.log",
    benchmark:
        f"benchmarks/{RUN}/relrep/{{lang}}/{{weighting}}-k{{k}}-{{anchor_set}}-{{space}}.tsv"
    conda:
        "../envs/search.yaml"
    threads: 2
    resources:
        gpu=config["compute"]["relrep_gpus"],
        mem_mb=config["compute"]["relrep_mem_mb"],
        runtime=30,
    params:
        tau=config["relrep"]["tau"],
        backend=config["relrep"]["backend"],
        fp16=config["relrep"]["fp16"],
        chunk_rows=config["relrep"]["chunk_rows"],
    script:
        "../workflow/scripts/build_relative_embeddings.py"


rule build_linear_map:
    input:
        anchors=f"results/{RUN}/anchors/{{lang}}/main.tsv",
        heldout=f"results/{RUN}/anchors/{{lang}}/main.heldout.tsv",
        vectors=vectors_cache("{lang}"),
        model=model_dir("source"),
    output:
        matrix=f"results/{RUN}/linear/{{lang}}/{{linear_map}}.npy",
        diagnostics=f"results/{RUN}/linear/{{lang}}/{{linear_map}}.json",
    log:
        f"logs/{RUN}/linear/{{lang}}/{{linear_map}}.log",
    conda:
        "../envs/search.yaml"
    script:
        "../workflow/scripts/build_linear_map.py"
