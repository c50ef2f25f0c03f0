"""Job planning from the config: the method grammar, which fine-tuned model and which
relative-embedding build each method needs, the full list of evaluation jobs, and the
cross-field checks of a config. Pure functions, used by rules/common.smk and unit-tested
directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SOURCE_LANG = "en"
_CS = r"(?P<cs>-cs(?:-r(?P<cs_rate>\d{1,3}))?(?P<cs_disjoint>-disjoint)?(?P<cs_mixup>-mixup)?(?P<cs_realign>-realign)?)"
_RR = re.compile(
    r"^rr-(?P<weighting>standard|softmax|sparsemax)(?:-k(?P<k>\d+|all))?"
    r"(?:-a(?!ligned\b)(?P<anchors>[a-z0-9]+)|(?P<nodict>-nodict))?"
    r"(?P<frozen>-frozen)?(?P<space>-static|-aligned(?P<refined>-refined)?)?" + _CS + r"?(?P<tuned>-tuned)?$"
)
FIXED_METHODS = ("ls", "procrustes", "wechsel", "focus", "dict", "multilingual", "lr", "no-swap", "original")
ZERO_SHOT = {"lr": False, "original": False}
# Methods that evaluate the English model fine-tuned with its original embeddings.
ORIGINAL_MODEL = ("ls", "procrustes", "wechsel", "focus", "dict", "no-swap", "original")
# Methods that swap the embedding layer for target-word rows (the rest read raw text).
WORD_LEVEL = ("rr", "ls", "procrustes", "wechsel", "focus", "dict")
# The anchor set built from the dictionary induced without one (rule induce_dictionary): the
# -nodict twin of a dictionary-based method reads it wherever the method reads the dictionary.
NODICT = "nodict"
# Fixed word-level methods and the variants they take: -nodict (the induced dictionary's
# anchors, maps and alignment) and -refined (the dictionary alignment refined on mutual CSLS
# neighbours, as MUSE's supervised mode).
VARIANTS = {"ls": ("-nodict",), "procrustes": ("-nodict",), "wechsel": ("-nodict", "-refined"), "dict": ("-nodict",)}
_VARIANT = r"(?P<variant>-nodict|-refined)?"
_FIXED_VARIANT = re.compile(r"^(?P<base>" + "|".join(VARIANTS) + r")" + _VARIANT + "$")
# Code-switched fine-tuning (<method>-cs[-r<percent>][-disjoint][-mixup][-realign]) applies to
# every word-level method: training switches English words for the rows the method gives
# their translations.
_CODESWITCH = re.compile(r"^(?P<base>" + "|".join(WORD_LEVEL[1:]) + r")" + _VARIANT + _CS + "$")


class ConfigError(ValueError):
    """A config that validates against the schema but cannot work: names the key and the fix."""


@dataclass(frozen=True)
class Method:
    name: str
    kind: str  # rr, ls, procrustes, wechsel, focus, multilingual, lr, no-swap, original
    weighting: str | None = None
    k: str | None = None
    anchor_set: str = "main"
    frozen: bool = False
    space: str = "plm"  # plm, static, aligned
    tuned: bool = False
    codeswitch: bool = False
    codeswitch_rate: float | None = None  # None: codeswitch.rate of the config
    codeswitch_disjoint: bool = False  # switch only pairs that share no word with an anchor
    codeswitch_mixup: bool = False  # embedding mixup whatever codeswitch.mixup says
    codeswitch_realign: bool = False  # the realignment loss whatever codeswitch.realign says
    refined: bool = False  # WECHSEL or -aligned on the refined dictionary alignment

    @property
    def zero_shot(self) -> bool:
        return ZERO_SHOT.get(self.kind, True)

    @property
    def training(self) -> str | None:
        """Name of the fine-tuned model this method evaluates (None: no PLM). The aligned
        variant shares F_s, hence its model, with the static one, unless it is code-switched
        (the switched rows are its own target rows)."""
        if self.kind == "rr":
            name = self.name.removesuffix("-tuned")
            return (
                name if self.codeswitch else name.replace("-aligned-refined", "-static").replace("-aligned", "-static")
            )
        if self.codeswitch:
            return self.name
        if self.kind in ORIGINAL_MODEL:
            return "original"
        if self.kind == "multilingual":
            return "multilingual"
        return None

    @property
    def relrep_variant(self) -> str | None:
        if self.kind != "rr":
            return None
        return f"{self.weighting}-k{self.k}-{self.anchor_set}-{self.space_variant}"

    @property
    def space_variant(self) -> str:
        """The space with the alignment it reads: plm, static, aligned, aligned-refined."""
        return self.space + ("-refined" if self.refined else "")

    @property
    def base(self) -> str:
        """The method without code-switching (itself when not code-switched)."""
        return codeswitch_base(self.name)

    @property
    def needs_english_vectors(self) -> bool:
        return self.space in ("static", "aligned") or self.kind == "wechsel" or self.anchor_set == NODICT

    @property
    def rows_name(self) -> str:
        """The name of a fixed word-level method's target rows and diagnostics (its variant
        suffixes, no code-switching): ls-nodict, wechsel-refined, focus."""
        return self.kind + ("-nodict" if self.anchor_set == NODICT else "") + ("-refined" if self.refined else "")


def codeswitch_base(name: str) -> str:
    """A method name without its code-switching suffix (the name itself when it has none)."""
    return re.sub(r"-cs(-r\d+)?(-disjoint)?(-mixup)?(-realign)?(?=-tuned$|$)", "", name)


def _codeswitch_fields(match: re.Match) -> dict:
    if not match["cs"]:
        return {}
    rate = int(match["cs_rate"]) / 100 if match["cs_rate"] is not None else None
    if rate is not None and rate > 1:
        raise ValueError(f"code-switching rate -r{match['cs_rate']} is over 100 %")
    return {
        "codeswitch": True,
        "codeswitch_rate": rate,
        "codeswitch_disjoint": bool(match["cs_disjoint"]),
        "codeswitch_mixup": bool(match["cs_mixup"]),
        "codeswitch_realign": bool(match["cs_realign"]),
    }


def _variant_fields(name: str, base: str, variant: str | None) -> dict:
    if not variant:
        return {}
    if variant not in VARIANTS.get(base, ()):
        raise ValueError(f"{name}: {base} takes no {variant} variant")
    return {"anchor_set": NODICT} if variant == "-nodict" else {"refined": True}


def parse_method(name: str, default_k: int | str) -> Method:
    if name in FIXED_METHODS:
        return Method(name=name, kind=name)
    fixed = _FIXED_VARIANT.match(name)
    if fixed is not None:
        return Method(name=name, kind=fixed["base"], **_variant_fields(name, fixed["base"], fixed["variant"]))
    switched = _CODESWITCH.match(name)
    if switched is not None:
        variant = _variant_fields(name, switched["base"], switched["variant"])
        return Method(name=name, kind=switched["base"], **variant, **_codeswitch_fields(switched))
    match = _RR.match(name)
    if match is None:
        raise ValueError(f"unknown method {name!r}: see 'methods' in config/README.md")
    return Method(
        name=name,
        kind="rr",
        weighting=match["weighting"],
        k=str(match["k"] or default_k),
        anchor_set=NODICT if match["nodict"] else match["anchors"] or "main",
        frozen=bool(match["frozen"]),
        space=(match["space"] or "-plm")[1:].removesuffix("-refined"),
        refined=bool(match["refined"]),
        tuned=bool(match["tuned"]),
        **_codeswitch_fields(match),
    )


def training_language(method: Method, lang: str) -> str:
    """rr models depend on the target language's anchors, code-switched ones on its rows;
    the others are English-only."""
    return lang if method.kind == "rr" or method.codeswitch else SOURCE_LANG


def sweep_methods(config: dict) -> list[str]:
    sweeps = config.get("sweeps", {})
    weighting = sweeps.get("weighting", "standard")
    names = [f"rr-{weighting}-k{k}" for k in sweeps.get("k", [])]
    names += [f"rr-{weighting}-a{entry['name']}" for entry in sweeps.get("anchors", [])]
    switched = sweeps.get("codeswitch_weighting") or weighting
    names += list(codeswitch_sweep(config, switched, references=False).values())
    return names


CODESWITCH_OPTIONS = {
    "disjoint": "pairs disjoint from the anchors",
    "mixup": "embedding mixup",
    "realign": "realignment loss",
}


def codeswitch_sweep(config: dict, weighting: str, references: bool = True) -> dict[str, str]:
    """Label -> method of the code-switching sweep points on rr-<weighting>. r = 0 is the
    base method itself (same batches, same numbers: tests/test_codeswitch.py) and the
    configured rate the plain -cs method, so no model is trained twice; each option
    switched on adds one point at the configured rate, beside its -cs reference (a row of
    the sweep table, not a sweep job: `references=False` leaves it out)."""
    sweeps = config.get("sweeps", {})
    default = config.get("codeswitch", {}).get("rate", 0.3)
    base = f"rr-{weighting}"
    points = {}
    for percent in sorted(sweeps.get("codeswitch_rates", [])):
        suffix = "" if percent == 0 else "-cs" if percent == round(100 * default) else f"-cs-r{percent}"
        points[f"r={percent / 100:g}" + (" (no switching)" if percent == 0 else "")] = base + suffix
    for option, label in CODESWITCH_OPTIONS.items():
        if sweeps.get(f"codeswitch_{option}"):
            if references:
                points.setdefault(f"r={default:g}", f"{base}-cs")
            points[f"r={default:g}, {label}"] = f"{base}-cs-{option}"
    return points


def sweep_languages(config: dict, dataset: str) -> list[str]:
    chosen = config.get("sweeps", {}).get("languages") or []
    langs = config["datasets"][dataset].get("languages", [])
    return [lang for lang in langs if not chosen or lang in chosen]


def anchor_settings(config: dict) -> dict[str, dict]:
    """Anchor-set name -> selection settings: 'main', one per anchor sweep entry, and
    'nodict' (the main settings on the induced dictionary) when a -nodict method needs it."""
    main = dict(config.get("anchors", {}))
    sets = {"main": main}
    default_k = config.get("relrep", {}).get("k", 50)
    names = list(config.get("methods", [])) + sweep_methods(config)
    if any(parse_method(name, default_k).anchor_set == NODICT for name in names):
        sets[NODICT] = {**main, "lexicon": "induced"}
    for entry in config.get("sweeps", {}).get("anchors", []):
        # Same held-out share and seed as the main set: the same pairs leave every set.
        sets[entry["name"]] = {**main, **{k: v for k, v in entry.items() if k != "name"}}
    return sets


def evaluation_jobs(config: dict) -> list[tuple[str, str, str, int]]:
    """Every (dataset, language, method, seed) evaluated. LR is deterministic: first seed
    only. Methods that only a sweep adds use `sweeps.seeds` (all seeds when empty). The
    English test set gets the original model (the in-language reference) and the
    multilingual baseline when it is configured."""
    default_k = config.get("relrep", {}).get("k", 50)
    seeds = config.get("seeds", [0])
    sweep_seeds = config.get("sweeps", {}).get("seeds") or seeds
    methods = list(config.get("methods", []))
    jobs = []
    for dataset, spec in config["datasets"].items():
        for lang in spec.get("languages", []):
            extra = [m for m in sweep_methods(config) if m not in methods]
            names = methods + (extra if lang in sweep_languages(config, dataset) else [])
            for name in dict.fromkeys(names):
                method = parse_method(name, default_k)
                chosen = seeds[:1] if method.kind == "lr" else sweep_seeds if name in extra else seeds
                for seed in chosen:
                    jobs.append((dataset, lang, name, seed))
        references = ["original"] + (["multilingual"] if "multilingual" in methods else [])
        for name in references:
            for seed in seeds:
                jobs.append((dataset, SOURCE_LANG, name, seed))
    return list(dict.fromkeys(jobs))  # English may also be a configured target


def seeds_per_name(jobs: list[tuple[str, str, str, int]]) -> dict[str, tuple[int, ...]]:
    """The seeds of each method (evaluation_jobs) or training (stitched_models), in the
    order they come: one evaluation job reads all of them (rules/evaluate.smk), so that
    the imports a process pays are paid once per method and language, not once per seed."""
    seeds: dict[str, dict[int, None]] = {}
    for _, _, name, seed in jobs:
        seeds.setdefault(name, {})[seed] = None
    return {name: tuple(found) for name, found in seeds.items()}


def all_method_names(config: dict) -> list[str]:
    return sorted({job[2] for job in evaluation_jobs(config)})


def stitched_models(config: dict) -> list[tuple[str, str, str, int]]:
    """(dataset, training language, training name, seed) of every model fine-tuned with a
    stitched or code-switched embedding layer (the rr and -cs variants): each is also evaluated on the English test
    set with that layer. (The original and multilingual models are evaluated on English by
    the reference jobs of evaluation_jobs.)"""
    default_k = config.get("relrep", {}).get("k", 50)
    models = []
    for dataset, lang, name, seed in evaluation_jobs(config):
        method = parse_method(name, default_k)
        if method.kind == "rr" or method.codeswitch:
            models.append((dataset, training_language(method, lang), method.training, seed))
    return list(dict.fromkeys(models))


CRAWL_VECTOR_PRESETS = ("fasttext-crawl-vec", "fasttext-crawl-bin", "fasttext-hf")


RELREP_BUILD_KEYS = ("tau", "clip_negative", "special_token_rows", "backend", "fp16", "chunk_rows")


def relrep_build_settings(config: dict) -> dict:
    """The relrep settings a search and a build read (k and the weighting come per method)."""
    return {key: config["relrep"][key] for key in RELREP_BUILD_KEYS}


def tokenization_settings(source: dict) -> dict:
    """A vector source's tokenization with its preset resolved: 'auto' is fasttext-crawl for
    the Common Crawl vectors (cased, digits kept: the nds mirror is one), else fasttext-wiki.
    Keys left null take the preset's value (transfer.Tokenization.from_config)."""
    settings = dict(source.get("tokenization") or {})
    if settings.get("preset", "auto") == "auto":
        crawl = source.get("kind") == "url" and source.get("preset") in CRAWL_VECTOR_PRESETS
        settings["preset"] = "fasttext-crawl" if crawl else "fasttext-wiki"
    return settings


# --------------------------------------------------------------------------- cross-field checks


def check_config(config: dict) -> None:
    """What the schema cannot say: raise ConfigError naming the key and the fix."""
    languages = config.get("languages", {})
    names = list(config.get("methods", [])) + sweep_methods(config)
    default_k = config.get("relrep", {}).get("k", 50)
    sweep_sets = {entry["name"] for entry in config.get("sweeps", {}).get("anchors", [])}
    for name in names:
        try:
            method = parse_method(name, default_k)
        except ValueError:
            raise ConfigError(
                f"methods: {name!r} is not a method name; use rr-<standard|softmax|sparsemax>[-k<K>][-a<set>|-nodict]"
                f"[-frozen][-static|-aligned][-tuned], one of {', '.join(FIXED_METHODS[:-1])}, or ls-nodict, "
                "procrustes-nodict, wechsel-nodict, wechsel-refined, dict-nodict"
            ) from None
        if method.needs_english_vectors and not config.get("english_vectors"):
            raise ConfigError(
                f"methods: {name} needs English static vectors; set english_vectors (a vector source) in the config"
            )
        if method.anchor_set not in ("main", NODICT) and method.anchor_set not in sweep_sets:
            raise ConfigError(
                f"methods: {name} uses anchor set {method.anchor_set!r}, which is not under sweeps.anchors; "
                f"add {{name: {method.anchor_set}, ...}} there or drop the method"
            )
        if method.tuned and method.k == "all":
            raise ConfigError(f"methods: {name} needs a numeric k (-tuned keeps a neighbour list; k=all has none)")
        subword = config.get("relrep", {}).get("unknown_words") == "subword"
        if subword and method.kind == "rr" and (method.tuned or method.space != "plm"):
            # Subword rows are built in the unaligned target space from untuned anchor rows:
            # unlike this variant's known words.
            raise ConfigError(
                f"methods: {name} with relrep.unknown_words: subword would build unknown words unlike its known "
                "words; use unknown_words: unk or drop the -tuned/-static/-aligned variant"
            )
    seeds, sweep_seeds = config.get("seeds", [0]), config.get("sweeps", {}).get("seeds") or []
    if not set(sweep_seeds) <= set(seeds):
        raise ConfigError(
            f"sweeps.seeds: {sorted(set(sweep_seeds) - set(seeds))} not in seeds {list(seeds)}: a sweep's points are "
            "compared with the main methods seed by seed; add them to seeds or leave sweeps.seeds empty"
        )
    if NODICT in sweep_sets:
        raise ConfigError(
            f"sweeps.anchors: the name {NODICT!r} is the induced dictionary's anchor set (methods -nodict); rename it"
        )
    for dataset, spec in config.get("datasets", {}).items():
        for lang in spec.get("languages", []):
            if lang not in languages:
                raise ConfigError(
                    f"datasets.{dataset}.languages: {lang!r} is not under 'languages'; add its vectors and lexicon"
                )
        if spec.get("kind", "table") == "table":
            missing = [split for split in ("train", "dev", "test") if split not in spec.get("files", {})]
            if missing:
                raise ConfigError(f"datasets.{dataset}.files: no path template for split(s) {', '.join(missing)}")
    english = config.get("english_vectors")
    if english and SOURCE_LANG in languages and languages[SOURCE_LANG]["vectors"] != english:
        raise ConfigError("languages.en.vectors and english_vectors must be the same source; make them equal")


def config_warnings(config: dict) -> list[str]:
    """What runs but limits what the run can say (check_config refuses only what cannot work)."""
    warnings = []
    stochastic = [name for name in config.get("methods", []) if name not in ("lr",)]
    if len(config.get("seeds", [0])) < 2 and stochastic:
        warnings.append(
            f"seeds: {config.get('seeds')} gives every fine-tuned method one seed: a pilot run. Its claims are "
            "left untested (a method-level test needs a seed-to-seed variance) and its intervals hold the test "
            "set's variance only; give two or more seeds (the paper used 5) to test claims"
        )
    return warnings


def schema_errors(config: dict, schema: dict) -> list[str]:
    """Every way `config` breaks `schema`, one line each, naming the key and the fix."""
    from jsonschema.validators import validator_for

    validator = validator_for(schema)(schema)
    messages = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        messages.append(_one_line(error))
    return list(dict.fromkeys(messages))


def _one_line(error) -> str:
    where = ".".join(str(part) for part in error.absolute_path) or "the top level"
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        return f"{where}: unknown key(s) {', '.join(map(repr, unknown))} (a typo?); allowed here: {', '.join(allowed)}"
    if error.validator in ("anyOf", "oneOf"):
        reasons = sorted({sub.message for sub in error.context}) or [error.message]
        hint = error.schema.get("description")
        return f"{where}: {error.instance!r} is not valid" + (f" ({hint})" if hint else f": {' or '.join(reasons)}")
    if error.validator == "required":
        return f"{where}: {error.message} (see config/README.md for what this kind needs)"
    return f"{where}: {error.message}"


def validate_config(config: dict, schema_path) -> None:
    """Schema errors as one-line ConfigErrors (before Snakemake's validate fills defaults)."""
    import yaml

    with open(schema_path, encoding="utf-8") as handle:
        schema = yaml.safe_load(handle)
    errors = schema_errors(config, schema)
    if errors:
        raise ConfigError("invalid config: " + " | ".join(errors))
