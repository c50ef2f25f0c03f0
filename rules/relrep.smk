# Stage 3: anchors, the target words every construction keeps rows for (the datasets' and
# the dictionary's), relative embedding matrices (FAISS top-k), LS/Procrustes maps, the
# static-space alignment, the peer methods' target rows (WECHSEL, FOCUS), the
# dictionary-only control's rows and the pairs code-switched fine-tuning switches.


rule select_anchors:
    input:
        unpack(anchor_inputs),
    output:
        anchors=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.tsv",
        heldout=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.heldout.tsv",
        stats=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.stats.json",
    log:
        f"logs/{RUN}/anchors/{{lang}}/{{anchor_set}}.log",
    priority: 10
    conda:
        "../envs/search.yaml"
    params:
        settings=anchor_set_settings,
        english_casing=config["models"]["source"]["casing"],
    script:
        "../workflow/scripts/select_anchors.py"


rule lexicon_induction_candidates:
    input:
        unpack(candidate_inputs),
    output:
        CANDIDATES,
    log:
        f"logs/{RUN}/anchors/candidates.log",
    conda:
        "../envs/search.yaml"
    script:
        "../workflow/scripts/lexicon_induction_candidates.py"


rule target_words:
    input:
        tables=target_tables,
        lexicon=f"results/{RUN}/lexicons/{{lang}}.tsv",
        vectors=vectors_cache("{lang}"),
    output:
        rows=TARGET_WORDS,
        stats=f"results/{RUN}/target_words/{{lang}}.json",
    log:
        f"logs/{RUN}/target_words/{{lang}}.log",
    priority: 10
    conda:
        "../envs/train.yaml"
    params:
        tokenization=lambda wildcards: tokenization(wildcards.lang),
    script:
        "../workflow/scripts/target_words.py"


rule search_target_neighbours:
    input:
        unpack(search_inputs),
    output:
        temp(f"results/{RUN}/relrep/{{lang}}/search-k{{k}}-{{anchor_set}}-{{target_space}}.npz"),
    log:
        f"logs/{RUN}/relrep/{{lang}}/search-k{{k}}-{{anchor_set}}-{{target_space}}.log",
    benchmark:
        f"benchmarks/{RUN}/relrep/{{lang}}/search-k{{k}}-{{anchor_set}}-{{target_space}}.tsv"
    wildcard_constraints:
        k=r"\d+",
    priority: 10
    conda:
        "../envs/search.yaml"
    threads: config["compute"]["relrep_threads"]
    resources:
        gpu=config["compute"]["relrep_gpus"],
        mem_mb=scaled(config["compute"]["relrep_mem_mb"]),
        runtime=scaled(config["compute"]["relrep_runtime"]),
    params:
        settings=relrep_settings(),
    script:
        "../workflow/scripts/search_target_neighbours.py"


rule build_relative_embeddings:
    input:
        unpack(relrep_inputs),
    output:
        source=f"{relrep_dir('{lang}', '{weighting}-k{k}-{anchor_set}-{space}')}/source.npy",
        target=f"{relrep_dir('{lang}', '{weighting}-k{k}-{anchor_set}-{space}')}/target.npz",
        diagnostics=f"{relrep_dir('{lang}', '{weighting}-k{k}-{anchor_set}-{space}')}/diagnostics.json",
    log:
        f"logs/{RUN}/relrep/{{lang}}/{{weighting}}-k{{k}}-{{anchor_set}}-{{space}}.log",
    benchmark:
        f"benchmarks/{RUN}/relrep/{{lang}}/{{weighting}}-k{{k}}-{{anchor_set}}-{{space}}.tsv"
    priority: 10
    conda:
        "../envs/search.yaml"
    threads: config["compute"]["relrep_threads"]
    resources:
        gpu=config["compute"]["relrep_gpus"],
        mem_mb=scaled(config["compute"]["relrep_mem_mb"]),
        runtime=scaled(config["compute"]["relrep_runtime"]),
    params:
        settings=relrep_settings(),
    script:
        "../workflow/scripts/build_relative_embeddings.py"


rule build_linear_map:
    input:
        unpack(linear_map_inputs),
    output:
        rows=f"results/{RUN}/linear/{{lang}}/{{linear_map}}.npz",
        diagnostics=f"results/{RUN}/linear/{{lang}}/{{linear_map}}.json",
    log:
        f"logs/{RUN}/linear/{{lang}}/{{linear_map}}.log",
    priority: 10
    conda:
        "../envs/search.yaml"
    resources:
        mem_mb=scaled(config["compute"]["relrep_mem_mb"]),
    script:
        "../workflow/scripts/build_linear_map.py"


rule induce_dictionary:
    input:
        vectors=vectors_cache("{lang}"),
        english=vectors_cache(SRC),
        # Scoring only: the main set's held-out gold (P@1 of the induced pairs).
        heldout=f"results/{RUN}/anchors/{{lang}}/main.heldout.tsv",
    output:
        lexicon=f"{INDUCED}/lexicon.tsv",
        matrix=f"{INDUCED}/map.npy",
        diagnostics=f"{INDUCED}/diagnostics.json",
        plot=report(
            f"{INDUCED}/criterion.png",
            caption="../report/criterion.rst",
            category="Alignments",
            subcategory="{lang}",
        ),
    log:
        f"logs/{RUN}/induced/{{lang}}.log",
    benchmark:
        f"benchmarks/{RUN}/induced/{{lang}}.tsv"
    priority: 10
    conda:
        "../envs/train.yaml"
    threads: config["compute"]["relrep_threads"]
    params:
        settings=induce_settings,
    script:
        "../workflow/scripts/induce_dictionary.py"


rule align_static_spaces:
    input:
        anchors=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.tsv",
        heldout=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.heldout.tsv",
        candidates=CANDIDATES,
        vectors=vectors_cache("{lang}"),
        english=vectors_cache(SRC),
        model=model_dir("source"),
    output:
        matrix=alignment("{lang}", "{anchor_set}"),
        diagnostics=f"results/{RUN}/aligned/{{lang}}/{{anchor_set}}/diagnostics.json",
    log:
        f"logs/{RUN}/aligned/{{lang}}/{{anchor_set}}.log",
    priority: 10
    conda:
        "../envs/search.yaml"
    script:
        "../workflow/scripts/align_static_spaces.py"


rule refine_alignment:
    input:
        anchors=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.tsv",
        heldout=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.heldout.tsv",
        candidates=CANDIDATES,
        vectors=vectors_cache("{lang}"),
        english=vectors_cache(SRC),
        model=model_dir("source"),
    output:
        matrix=alignment("{lang}", "{anchor_set}", refined=True),
        diagnostics=f"results/{RUN}/aligned/{{lang}}/{{anchor_set}}/refined.json",
    log:
        f"logs/{RUN}/aligned/{{lang}}/{{anchor_set}}-refined.log",
    priority: 10
    conda:
        "../envs/search.yaml"
    params:
        refine=lambda wildcards: canonical(config["alignment"]["refine"]),
    script:
        "../workflow/scripts/refine_alignment.py"


rule build_peer_embeddings:
    input:
        unpack(peer_inputs),
    output:
        rows=f"results/{RUN}/peers/{{lang}}/{{peer}}.npz",
        diagnostics=f"results/{RUN}/peers/{{lang}}/{{peer}}.json",
    log:
        f"logs/{RUN}/peers/{{lang}}/{{peer}}.log",
    benchmark:
        f"benchmarks/{RUN}/peers/{{lang}}/{{peer}}.tsv"
    priority: 10
    conda:
        "../envs/search.yaml"
    threads: config["compute"]["relrep_threads"]
    resources:
        gpu=config["compute"]["relrep_gpus"],
        mem_mb=scaled(config["compute"]["relrep_mem_mb"]),
        runtime=scaled(config["compute"]["relrep_runtime"]),
    params:
        settings=peer_settings,
    script:
        "../workflow/scripts/build_peer_embeddings.py"


rule codeswitch_pairs:
    input:
        lexicon=anchor_lexicon,
        vectors=vectors_cache("{lang}"),
        anchors=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.tsv",
        heldout=f"results/{RUN}/anchors/{{lang}}/{{anchor_set}}.heldout.tsv",
    output:
        pairs=f"results/{RUN}/codeswitch/{{lang}}/{{anchor_set}}-{{split}}.tsv",
        stats=f"results/{RUN}/codeswitch/{{lang}}/{{anchor_set}}-{{split}}.json",
    log:
        f"logs/{RUN}/codeswitch/{{lang}}/{{anchor_set}}-{{split}}.log",
    priority: 10
    conda:
        "../envs/train.yaml"
    params:
        target_casing=target_casing,
    script:
        "../workflow/scripts/codeswitch_pairs.py"


rule build_dictionary_rows:
    input:
        unpack(dictionary_rows_inputs),
    output:
        rows=f"results/{RUN}/dictionary/{{lang}}/{{dictionary_rows}}.npz",
        diagnostics=f"results/{RUN}/dictionary/{{lang}}/{{dictionary_rows}}.json",
    log:
        f"logs/{RUN}/dictionary/{{lang}}/{{dictionary_rows}}.log",
    priority: 10
    conda:
        "../envs/train.yaml"
    params:
        target_casing=target_casing,
    script:
        "../workflow/scripts/build_dictionary_rows.py"
