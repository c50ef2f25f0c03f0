"""The environment: pins agree between the local set-up and the cluster conda envs, and
the config schema, the configs and config/README.md agree."""

from __future__ import annotations

import re
from importlib import metadata

import pytest
import yaml
from conftest import ROOT


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_normalise(name)] = version.strip()
    return pins


def local_pins() -> dict[str, str]:
    pins = {}
    for path in sorted((ROOT / "requirements").glob("*.txt")):
        pins.update(_pins(path.read_text().splitlines()))
    return pins


def test_installed_versions_match_the_pins():
    for name, version in local_pins().items():
        installed = metadata.version(name).split("+")[0]  # torch reports 2.13.0+cpu
        assert installed == version, f"{name}: installed {installed}, pinned {version}"


def _schema():
    return yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())


def _leaf_keys(properties: dict, definitions: dict, prefix="") -> dict[str, dict]:
    keys = {}
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        keys[path] = spec
        items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
        ref = spec.get("$ref") or items.get("$ref")
        if ref:
            target = definitions[ref.rsplit("/", 1)[-1]]
            keys.update(_leaf_keys(target.get("properties", {}), definitions, f"{path}."))
        if "properties" in spec:
            keys.update(_leaf_keys(spec["properties"], definitions, f"{path}."))
    return keys


def test_every_schema_key_has_a_description_and_a_default():
    schema = _schema()
    required_top = set(schema["required"])
    for path, spec in _leaf_keys(schema["properties"], schema["definitions"]).items():
        assert spec.get("description") or "$ref" in spec, f"{path} has no description"
        if "$ref" not in spec and path not in required_top and not path.endswith(".kind"):
            assert "default" in spec, f"{path} has no default"


def test_config_readme_documents_every_key():
    schema = _schema()
    readme = (ROOT / "config" / "README.md").read_text()
    for path in _leaf_keys(schema["properties"], schema["definitions"]):
        assert f"`{path.split('.')[-1]}`" in readme, f"config/README.md does not document {path}"


@pytest.mark.parametrize("configfile", ["config/config.yaml", "config/demo.yaml", "tests/config/tiny.yaml"])
def test_configs_validate_against_the_schema(configfile):
    from snakemake.utils import validate

    config = yaml.safe_load((ROOT / configfile).read_text())
    validate(config, str(ROOT / "workflow/schemas/config.schema.yaml"))
    assert config["relrep"]["tau"] > 0 and config["vectors"]["dim"] == 300
