"""A strict config: every mistake is refused before anything is planned, in one line that
names the key. Checked on the schema and cross-field rules directly, and through Snakemake
for the mistakes that used to pass silently."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import ROOT, run_snakemake
from mosecrot import plan

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEMO = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())


def _set(path: str, value):
    def change(config):
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value

    return change


def _rename(old: str, new: str):
    def change(config):
        config[new] = config.pop(old)

    return change


BAD = [
    ("unknown top-level key", _rename("training", "trainig"), "the top level: unknown key(s) 'trainig'"),
    ("k not a number", _set("relrep.k", "fifty"), "relrep.k: 'fifty' is not valid"),
    ("url source without url", _set("languages.fr.vectors", {"kind": "url"}), "languages.fr.vectors"),
    (
        "hub model without id",
        _set("models.source", {"kind": "huggingface"}),
        "models.source: 'id' is a required property",
    ),
    ("no seeds", _set("seeds", []), "seeds: [] should be non-empty"),
    (
        "typo in a sweep entry",
        _set("sweeps.anchors", [{"name": "r9", "strategyy": "random"}]),
        "sweeps.anchors.0: unknown key(s) 'strategyy'",
    ),
    ("wrong type", _set("training.learning_rate", "fast"), "training.learning_rate: 'fast' is not of type 'number'"),
    (
        "unknown tokenization choice",
        _set("languages.fr.vectors.tokenization", {"digits": "sometimes"}),
        "languages.fr.vectors.tokenization.digits",
    ),
    ("malformed checksum", _set("english_vectors.sha256", "abc"), "english_vectors"),
    ("unknown key in a model", _set("models.source.poling", "mean"), "models.source: unknown key(s) 'poling'"),
    ("negative k", _set("relrep.k", 0), "relrep.k: 0 is not valid"),
    ("unknown pooling", _set("models.multilingual.pooling", "max"), "models.multilingual.pooling"),
    ("unknown precision", _set("training.precision", "fp16"), "training.precision: 'fp16' is not one of"),
]
CROSS = [
    ("method that does not parse", _set("methods", ["rr-magic"]), "methods: 'rr-magic' is not a method name"),
    (
        "static method without English vectors",
        lambda c: c.update(english_vectors=None, methods=["rr-standard-static"]),
        "methods: rr-standard-static needs English static vectors; set english_vectors",
    ),
    (
        "anchor set that is not a sweep",
        _set("methods", ["rr-standard-axyz"]),
        "methods: rr-standard-axyz uses anchor set 'xyz', which is not under sweeps.anchors",
    ),
    (
        "dataset language not configured",
        _set("datasets.intents.languages", ["fr", "de"]),
        "datasets.intents.languages: 'de' is not under 'languages'",
    ),
    (
        "tuned with k=all",
        _set("methods", ["rr-standard-kall-tuned"]),
        "methods: rr-standard-kall-tuned needs a numeric k",
    ),
    (
        "subword rows for an aligned variant",
        lambda c: c.update(methods=["rr-standard-aligned"], relrep={"unknown_words": "subword"}),
        "methods: rr-standard-aligned with relrep.unknown_words: subword would build unknown words unlike",
    ),
    (
        "subword rows for a tuned variant",
        lambda c: c.update(methods=["rr-softmax-tuned"], relrep={"unknown_words": "subword"}),
        "methods: rr-softmax-tuned with relrep.unknown_words: subword",
    ),
]


def _checked(change) -> dict:
    config = copy.deepcopy(DEMO)
    change(config)
    return config


@pytest.mark.parametrize(("case", "change", "message"), BAD, ids=[case for case, _, _ in BAD])
def test_schema_refuses_with_the_key_named(case, change, message):
    with pytest.raises(plan.ConfigError) as error:
        plan.validate_config(_checked(change), SCHEMA)
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(("case", "change", "message"), CROSS, ids=[case for case, _, _ in CROSS])
def test_cross_field_checks_refuse_with_the_key_and_the_fix(case, change, message):
    from snakemake.utils import validate

    config = _checked(change)
    plan.validate_config(config, SCHEMA)  # valid for the schema alone
    validate(config, str(SCHEMA))
    with pytest.raises(plan.ConfigError) as error:
        plan.check_config(config)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_every_shipped_config_passes():
    from snakemake.utils import validate

    for path in ("config/config.yaml", "config/demo.yaml", "tests/config/tiny.yaml"):
        config = yaml.safe_load((ROOT / path).read_text())
        plan.validate_config(config, SCHEMA)
        validate(config, str(SCHEMA))
        plan.check_config(config)


@pytest.mark.parametrize(
    ("change", "message"),
    [(BAD[0][1], "trainig"), (BAD[1][1], "relrep.k"), (CROSS[1][1], "english_vectors")],
    ids=["typo", "k", "static"],
)
def test_snakemake_stops_before_planning(tmp_path, change, message):
    """These used to pass: `trainig:` planned refits with the paper's defaults, `k: fifty`
    said "nothing to be done", a static method died with KeyError: 'en'."""
    configfile = tmp_path / "bad.yaml"
    configfile.write_text(yaml.safe_dump(_checked(change)))
    result = run_snakemake("-n", "--configfile", str(configfile), "--directory", str(tmp_path), check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert "Job stats" not in result.stdout


def test_the_demo_ablations_overlay_adds_only_its_variants():
    """The opt-in overlay on the demo config (merged as Snakemake merges config files: dicts
    key by key) keeps every demo method and sweep point and adds the opt-in variants and
    sweep points, and the merged config passes the schema and the cross-field checks."""
    from snakemake.utils import update_config, validate

    overlay = yaml.safe_load((ROOT / "config/demo-ablations.yaml").read_text())
    merged = copy.deepcopy(DEMO)
    update_config(merged, overlay)
    assert set(merged["methods"]) - set(DEMO["methods"]) == {
        "rr-standard-tuned",
        "rr-standard-frozen",
        "rr-standard-static",
        "rr-standard-aligned",
        "rr-standard-cs",
        "rr-sparsemax-cs",
        "rr-softmax-cs",
        "rr-sparsemax",
        "rr-standard",
        "procrustes",
        "wechsel-nodict-cs",
        "wechsel-refined-cs",
        "rr-softmax-nodict-cs",
        "ls-nodict",
        "procrustes-nodict",
        "rr-standard-aligned-refined",
        "rr-standard-aligned-cs",
        "rr-standard-aligned-refined-cs",
        "dict-nodict",
    }
    assert set(DEMO["methods"]) <= set(merged["methods"])
    # The overlay's anchor sweep keeps the demo's one-to-one set (lists are replaced, not merged).
    assert {"name": "onetoone", "one_per_target": "one_to_one"} in merged["sweeps"]["anchors"]
    assert merged["sweeps"]["k"] == [1, 10, 100, "all"] and merged["sweeps"]["anchors"]
    assert merged["sweeps"]["codeswitch_rates"] == [0, 10, 30, 50] and merged["sweeps"]["codeswitch_realign"]
    # The demo's own sweep settings are kept by the merge: its weighting for the code-switching points.
    assert merged["sweeps"]["codeswitch_weighting"] == DEMO["sweeps"]["codeswitch_weighting"] == "softmax"
    plan.validate_config(merged, SCHEMA)
    validate(merged, str(SCHEMA))
    plan.check_config(merged)


def test_the_demo_twins_overlay_adds_issue_26s_overlay_rows_to_the_demo():
    """config/demo-twins.yaml (the run the README quotes for the overlay-only rows) keeps
    every demo method, adds only methods the ablations overlay also has, and passes the
    schema and the cross-field checks."""
    from snakemake.utils import update_config

    twins = yaml.safe_load((ROOT / "config/demo-twins.yaml").read_text())
    ablations = yaml.safe_load((ROOT / "config/demo-ablations.yaml").read_text())
    merged = copy.deepcopy(DEMO)
    update_config(merged, twins)
    added = set(merged["methods"]) - set(DEMO["methods"])
    assert set(DEMO["methods"]) <= set(merged["methods"]) and added <= set(ablations["methods"])
    assert {"dict-nodict", "wechsel-nodict-cs", "rr-standard-aligned-refined"} <= added
    assert merged["sweeps"] == DEMO["sweeps"]
    plan.validate_config(merged, SCHEMA)
    plan.check_config(merged)
