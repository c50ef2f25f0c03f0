"""Job planning from the config: the method grammar, which fine-tuned model and which
relative-embedding build each method needs, and the full list of evaluation jobs.
Pure functions, used by rules/common.smk and unit-tested directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SOURCE_LANG = "en"
_RR = re.compile(
    r"^rr-(?P<weighting>standard|softmax|sparsemax)(?:-k(?P<k>\d+|all))?(?:-a(?P<anchors>[a-z0-9]+))?"
    r"(?P<frozen>-frozen)?(?P<static>-static)?(?P<tuned>-tuned)?$"
)
FIXED_METHODS = ("ls", "procrustes", "multilingual", "lr", "no-swap", "original")
ZERO_SHOT = {"lr": False, "original": False}


@dataclass(frozen=True)
class Method:
    name: str
    kind: str  # rr, ls, procrustes, multilingual, lr, no-swap, original
    weighting: str | None = None
    k: str | None = None
    anchor_set: str = "main"
    frozen: bool = False
    space: str = "plm"
    tuned: bool = False

    @property
    def zero_shot(self) -> bool:
        return ZERO_SHOT.get(self.kind, True)

    @property
    def training(self) -> str | None:
        """Name of the fine-tuned model this method evaluates (None: no PLM)."""
        if self.kind == "rr":
            return self.name.removesuffix("-tuned")
        if self.kind in ("ls", "procrustes", "no-swap", "original"):
            return "original"
        if self.kind == "multilingual":
            return "multilingual"
        return None

    @property
    def relrep_variant(self) -> str | None:
        if self.kind != "rr":
            return None
        return f"{self.weighting}-k{self.k}-{self.anchor_set}-{self.space}"


def parse_method(name: str, default_k: int | str) -> Method:
    if name in FIXED_METHODS:
        return Method(name=name, kind=name)
    match = _RR.match(name)
    if match is None:
        raise ValueError(f"unknown method {name!r}: see 'methods' in config/README.md")
    return Method(
        name=name,
        kind="rr",
        weighting=match["weighting"],
        k=str(match["k"] or default_k),
        anchor_set=match["anchors"] or "main",
        frozen=bool(match["frozen"]),
        space="static" if match["static"] else "plm",
        tuned=bool(match["tuned"]),
    )


def training_language(method: Method, lang: str) -> str:
    """rr models depend on the target language's anchors; the others are English-only."""
    return lang if method.kind == "rr" else SOURCE_LANG


def sweep_methods(config: dict) -> list[str]:
    sweeps = config.get("sweeps", {})
    weighting = sweeps.get("weighting", "standard")
    names = [f"rr-{weighting}-k{k}" for k in sweeps.get("k", [])]
    names += [f"rr-{weighting}-a{entry['name']}" for entry in sweeps.get("anchors", [])]
    return names


def sweep_languages(config: dict, dataset: str) -> list[str]:
    chosen = config.get("sweeps", {}).get("languages") or []
    langs = config["datasets"][dataset].get("languages", [])
    return [lang for lang in langs if not chosen or lang in chosen]


def anchor_settings(config: dict) -> dict[str, dict]:
    """Anchor-set name -> selection settings: 'main' plus one per anchor sweep entry."""
    main = dict(config.get("anchors", {}))
    sets = {"main": main}
    for entry in config.get("sweeps", {}).get("anchors", []):
        sets[entry["name"]] = {**main, **{k: v for k, v in entry.items() if k != "name"}, "held_out_share": 0.0}
    return sets


def evaluation_jobs(config: dict) -> list[tuple[str, str, str, int]]:
    """Every (dataset, language, method, seed) evaluated. LR is deterministic: first seed
    only. The English test set gets the original model (the in-language reference) and the
    multilingual baseline when it is configured."""
    default_k = config.get("relrep", {}).get("k", 50)
    seeds = config.get("seeds", [0])
    methods = list(config.get("methods", []))
    jobs = []
    for dataset, spec in config["datasets"].items():
        for lang in spec.get("languages", []):
            names = methods + (sweep_methods(config) if lang in sweep_languages(config, dataset) else [])
            for name in dict.fromkeys(names):
                method = parse_method(name, default_k)
                for seed in seeds[:1] if method.kind == "lr" else seeds:
                    jobs.append((dataset, lang, name, seed))
        references = ["original"] + (["multilingual"] if "multilingual" in methods else [])
        for name in references:
            for seed in seeds:
                jobs.append((dataset, SOURCE_LANG, name, seed))
    return list(dict.fromkeys(jobs))  # English may also be a configured target


def all_method_names(config: dict) -> list[str]:
    return sorted({job[2] for job in evaluation_jobs(config)})
