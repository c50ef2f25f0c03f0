"""The workflow itself: lint and format, dry runs of both configs, and one real end-to-end
run of the tiny config (real MiniLM, e5, spaCy vectors, FreeDict, intents)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, TINY, run_snakemake


def _jobs(dry_run_output: str, local_only: bool = False) -> list[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run plans (only the local ones, if asked)."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", dry_run_output):
        head = re.match(r"(local)?rule (\w+):", block)
        if head and (head.group(1) or not local_only):
            wildcards = re.search(r"wildcards: (.*)", block)
            jobs.append((head.group(2), wildcards.group(1) if wildcards else ""))
    return jobs


def test_snakefmt_check():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "snakefmt"), "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("configfile", ["config/config.yaml", "config/demo.yaml", "tests/config/tiny.yaml"])
def test_lint_is_clean(configfile):
    result = run_snakemake("--lint", "--configfile", configfile, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean():
    ruff = str(Path(sys.executable).parent / "ruff")
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("configfile", ["config/config.yaml", "config/demo.yaml"])
def test_dry_run_plans_every_stage(configfile, tmp_path):
    output = run_snakemake("-n", "--configfile", str(ROOT / configfile), "--directory", str(tmp_path)).stdout
    rules = {rule for rule, _ in _jobs(output)}
    assert {
        "cache_vectors",
        "select_anchors",
        "build_relative_embeddings",
        "finetune",
        "evaluate",
        "evaluate_lr",
        "aggregate",
        "plots",
    } <= rules


def test_the_ablations_overlay_adds_its_jobs_to_the_demo_run(tmp_path):
    """Snakemake merges the overlay over the demo config: the same run, plus -tuned and -frozen."""
    args = ["-n", "--directory", str(tmp_path), "--configfile", str(ROOT / "config/demo.yaml")]
    base = run_snakemake(*args).stdout
    more = run_snakemake(*args, str(ROOT / "config/demo-ablations.yaml")).stdout
    assert "rr-standard-frozen" not in base and "results/demo/eval/intents/fr/rr-standard-tuned/seed2.json" in more
    assert "results/demo/models/intents/fi/rr-standard-frozen/seed0" in more
    assert "rr-standard-static" not in base and "results/demo/models/intents/fi/rr-standard-static/seed2" in more
    # The sweeps run on the demo's sweep weighting (softmax).
    assert "rr-softmax-k10" not in base and "results/demo/eval/intents/fr/rr-softmax-k10/seed0.json" in more
    assert "results/demo/models/intents/fi/wechsel-cs/seed4" in base  # WECHSEL's -cs is in the demo itself
    assert "rr-softmax-cs" not in base and "results/demo/models/intents/fi/rr-softmax-cs/seed4" in more
    assert "results/demo/eval/intents/fr/rr-softmax-cs-r10/seed0.json" in more  # the code-switching sweep
    assert "rr-sparsemax-cs" not in base and "results/demo/models/intents/fi/rr-sparsemax-cs/seed2" in more
    assert "rr-softmax-ar500" not in base and "results/demo/eval/intents/fr/rr-softmax-ar500/seed0.json" in more


def test_demo_is_offline_and_never_merged_with_the_paper_config(tmp_path):
    """A --configfile replaces the default config (profiles/default), never merges with it."""
    output = run_snakemake("-n", "--configfile", str(ROOT / "config/demo.yaml"), "--directory", str(tmp_path)).stdout
    jobs = _jobs(output)
    assert not any(rule in ("download_file", "fetch_huggingface_model") for rule, _ in jobs)
    assert not any("lang=de" in wildcards for _, wildcards in jobs)
    assert any("lang=fi" in wildcards for _, wildcards in jobs)
    default = _jobs(run_snakemake("-n").stdout)
    assert any(rule == "download_file" for rule, _ in default)  # config/config.yaml: the paper


def test_paper_dry_run_needs_no_local_files(tmp_path):
    """Taxi1500, MARC and the PanLex lexicons are not here: the DAG still plans."""
    output = run_snakemake("-n", "--configfile", str(ROOT / "config/config.yaml"), "--directory", str(tmp_path)).stdout
    jobs = _jobs(output)
    assert ("download_file", "category=lexicons, lang=fo, filename=en-fo.tsv") in jobs
    assert sum(rule == "finetune" for rule, _ in jobs) > 200


def test_missing_local_file_fails_with_clear_message(tmp_path):
    config = yaml.safe_load(TINY.read_text())
    config["languages"]["fr"]["lexicon"] = [{"kind": "local", "path": str(tmp_path / "en-fr.tsv"), "format": "tsv"}]
    configfile = tmp_path / "missing.yaml"
    configfile.write_text(yaml.safe_dump(config))
    result = run_snakemake(
        "--configfile",
        str(configfile),
        "--directory",
        str(tmp_path),
        "--cores",
        "1",
        "resources/download/lexicons/fr/en-fr.tsv",
        check=False,
    )
    assert result.returncode != 0
    log = (tmp_path / "logs/download/lexicons/fr/en-fr.tsv.log").read_text()
    assert f"local file {tmp_path / 'en-fr.tsv'} does not exist" in log
    assert not (tmp_path / "resources/download/lexicons/fr/en-fr.tsv").exists()


def test_download_rule_over_http_with_checksums(tmp_path):
    """The download rule end to end against a local HTTP server: a good file lands with its
    manifest; a checksum mismatch fails the job and leaves nothing."""
    import functools
    import hashlib
    import http.server
    import threading

    served = tmp_path / "served"
    served.mkdir()
    (served / "en-fr.tsv").write_text("dog\tchien\ncat\tchat\n", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/en-fr.tsv"
    good = hashlib.sha256((served / "en-fr.tsv").read_bytes()).hexdigest()
    try:
        for sha256, work in ((good, tmp_path / "good"), ("0" * 64, tmp_path / "bad")):
            config = yaml.safe_load(TINY.read_text())
            config["languages"]["fr"]["lexicon"] = [{"kind": "url", "url": url, "format": "tsv", "sha256": sha256}]
            configfile = tmp_path / f"{work.name}.yaml"
            configfile.write_text(yaml.safe_dump(config))
            result = run_snakemake(
                "--configfile",
                str(configfile),
                "--directory",
                str(work),
                "--cores",
                "1",
                "resources/download/lexicons/fr/en-fr.tsv",
                check=False,
            )
            target = work / "resources/download/lexicons/fr/en-fr.tsv"
            if sha256 == good:
                assert result.returncode == 0, result.stderr[-2000:]
                assert target.read_text(encoding="utf-8").startswith("dog\tchien")
                manifest = json.loads(Path(f"{target}.manifest.json").read_text())
                assert manifest["sha256"] == good and manifest["sha256_verified"] and manifest["url"] == url
            else:
                assert result.returncode != 0 and not target.exists()
                log = (work / "logs/download/lexicons/fr/en-fr.tsv.log").read_text()
                assert "checksum mismatch" in log
    finally:
        httpd.shutdown()


# --------------------------------------------------------------------------- end to end


@pytest.mark.e2e
def test_tiny_run_produces_tables_plots_and_findings(tiny_run):
    from mosecrot import analysis

    results = tiny_run / "results" / "tiny"
    summary = pd.read_csv(results / "tables" / "summary.csv")
    assert list(summary.columns) == analysis.SUMMARY_COLUMNS
    fr = summary[summary["language"] == "fr"].set_index("method")
    assert {
        "rr-standard",
        "rr-sparsemax",
        "ls",
        "multilingual",
        "lr",
        "no-swap",
        "rr-standard-tuned",
        "rr-standard-kall",
        "rr-standard-ar100",
        "wechsel",
        "focus",
        "rr-standard-aligned",
        "dict",
        "rr-standard-cs",
        "wechsel-cs",
    } <= set(fr.index)
    assert not fr.loc["lr", "zero_shot"] and fr.loc["rr-standard", "zero_shot"]
    assert fr.loc["rr-standard", "anchors"] == 400 and fr.loc["rr-standard-ar100", "anchors"] == 100
    assert (fr["macro_f1_ci_low"] <= fr["macro_f1_mean"] + 1e-9).all() and (
        fr["macro_f1_mean"] <= fr["macro_f1_ci_high"] + 1e-9
    ).all()
    claims = pd.read_csv(results / "tables" / "claims.csv")
    assert {"rr-standard beats LS", "rr-sparsemax beats LS", "WECHSEL beats rr-standard"} <= set(claims["claim"])
    assert {"rr-standard-cs beats rr-standard", "wechsel-cs beats wechsel", "rr-standard beats dict"} <= set(
        claims["claim"]
    )
    assert set(claims["verdict"]) <= {"supported", "contradicted", "not significant"}  # every method has 2 seeds
    assert (claims["p_holm"] >= claims["p_value"]).all() and (
        claims["per_seed_differences"].str.split().str.len() == 2
    ).all()
    pairs = [(frozenset((r.better, r.worse)), r.language) for r in claims.itertuples()]
    assert len(pairs) == len(set(pairs))
    costs = pd.read_csv(results / "tables" / "costs.csv").set_index("method")
    row = costs.loc["rr-standard"]
    assert row["stitching_cost"] == pytest.approx(row["reference_english_f1"] - row["stitched_english_f1"], abs=2e-4)
    assert costs.loc["ls", "stitching_cost"] == 0  # keeps the original embeddings on English
    trained = [json.loads(p.read_text()) for p in (results / "models").rglob("training.json")]
    assert trained and {(t["device"], t["precision"]) for t in trained} == {("cpu", "fp32")}
    readme = (results / "README.md").read_text()
    assert readme.index("## What this run shows") < readme.index("| rr-standard |")
    assert "method-level comparisons (seeds and test examples both random)" in readme and "Holm-corrected" in readme
    assert "| chance (uniform guess) |" in readme and "(1 seed)" in (results / "tables" / "sweeps.md").read_text()
    assert "Where the loss comes from" in readme
    for name in ("bars", "sweep_k", "sweep_anchors", "gain", "drift", "costs", "curves"):
        assert (results / "plots" / "intents" / f"{name}.png").stat().st_size > 5000
        assert (results / "plots" / "intents" / f"{name}.pdf").exists()
    evaluation = json.loads((results / "eval/intents/fr/rr-standard/seed0.json").read_text())
    assert evaluation["provenance"]["settings"]["seed"] == 0 and "torch" in evaluation["provenance"]["versions"]
    assert evaluation["n_examples"] == len(evaluation["gold"]) == len(evaluation["predicted"]) > 0
    assert 0 <= evaluation["unknown_word_rate"] < 1 and evaluation["inference"] == "torchscript trace"
    assert evaluation["tokenization"]["punctuation"] == "drop" and evaluation["training"]["pooling"] == "mean"
    switched = json.loads((results / "eval/intents/fr/rr-standard-cs/seed1.json").read_text())
    record = switched["training"]["codeswitch"]
    assert (
        record["rate"] == 0.3 and 0 < record["switchable_words_in_training_data"] <= record["switchable_english_words"]
    )
    assert all(row["codeswitched"]["switched"] > 0 for row in switched["training"]["curve"])
    assert "## What code-switching switched" in readme
    control = json.loads((results / "eval/intents/fr/dict/seed0.json").read_text())
    assert control["unknown_word_rate"] > evaluation["unknown_word_rate"]  # words without a translation
    english = json.loads((results / "eval_english/intents/fr/rr-standard/seed0.json").read_text())
    assert english["language"] == "en" and english["trained_for"] == "fr" and english["training"]["curve"]
    anchors = json.loads((results / "anchors/fr/main.stats.json").read_text())
    assert anchors["held_out"] > 0 and "anchors_removed_sharing_held_out_english" in anchors
    assert "pairs_lost_to_vectors_top_n" in anchors
    diagnostics = json.loads((results / "relrep/fr/standard-k20-main-plm/diagnostics.json").read_text())
    assert diagnostics["target"]["mean_effective_k"] <= 20 and diagnostics["distinct_english_anchors"] <= 400
    focus = json.loads((results / "peers/fr/focus.json").read_text())
    assert focus["overlap"] > 100 and focus["lexicon_induction"]["pairs"] > 0
    # Every construction's lexicon induction: one candidate set, one pair set.
    constructions = [
        *(results / "relrep/fr").glob("*-main-*/diagnostics.json"),
        results / "linear/fr/ls.json",
        results / "aligned/fr/main/diagnostics.json",
        results / "aligned/fr/nodict/diagnostics.json",
        results / "peers/fr/wechsel.json",
        results / "peers/fr/focus.json",
    ]
    scored = {
        json.dumps({k: json.loads(p.read_text())["lexicon_induction"][k] for k in ("candidates", "pairs")})
        for p in constructions
    }
    assert len(constructions) >= 6 and len(scored) == 1
    # The dictionary-free twins (issue 26): the induced dictionary in the lexicon format, its
    # anchors holding out the main set's gold, and their claims and findings.
    induced = (results / "induced/fr/lexicon.tsv").read_text().splitlines()
    assert induced[0] == "english\ttarget\tsource" and len(induced) > 100
    nodict = json.loads((results / "anchors/fr/nodict.stats.json").read_text())
    assert nodict["dictionary_pairs"] == len(induced) - 1 and nodict["anchors"] > 0
    assert (results / "anchors/fr/nodict.heldout.tsv").read_text() == (
        results / "anchors/fr/main.heldout.tsv"
    ).read_text()
    from mosecrot.anchors import read_anchors

    held = read_anchors(results / "anchors/fr/main.heldout.tsv")
    induced_anchors = read_anchors(results / "anchors/fr/nodict.tsv")
    assert not {a.target_row for a in induced_anchors} & {a.target_row for a in held}
    assert not {a.token_id for a in induced_anchors} & {a.token_id for a in held}
    wechsel_rows = np.load(results / "peers/fr/wechsel.npz")
    twin_rows = np.load(results / "peers/fr/wechsel-nodict.npz")
    assert not np.allclose(wechsel_rows["rows"], twin_rows["rows"])  # read from the nodict alignment
    # dict-nodict: the dictionary-only control on the induced pairs, the held-out words left out.
    control_rows = json.loads((results / "dictionary/fr/dict.json").read_text())
    twin_control = json.loads((results / "dictionary/fr/dict-nodict.json").read_text())
    assert twin_control["method"] == "dict-nodict" and control_rows["method"] == "dict"
    assert twin_control["dictionary"] != control_rows["dictionary"]
    assert 0 < twin_control["target_words_with_a_row"] < twin_control["target_words"]
    kept = set(np.load(results / "dictionary/fr/dict-nodict.npz")["vocab_rows"].tolist())
    assert not kept & {a.target_row for a in held}
    alignment = json.loads((results / "induced/fr/diagnostics.json").read_text())
    assert alignment["held_out"]["translated"] > 0 and len(alignment["criterion_per_step"]) == 4
    assert (results / "induced/fr/criterion.png").stat().st_size > 5000
    refined = json.loads((results / "aligned/fr/main/refined.json").read_text())
    assert len(refined["criterion_per_step"]) == 3 and 0 <= refined["lexicon_induction"]["p@1"] <= 1
    # Step 0 is the dictionary's own map: its P@1 is align_static_spaces'.
    unrefined = json.loads((results / "aligned/fr/main/diagnostics.json").read_text())["lexicon_induction"]
    assert refined["lexicon_induction_before"] == unrefined
    assert not (results / "aligned/fr/nodict/refined.npy").exists()  # no -refined method reads it
    assert {
        "rr-standard beats rr-standard-nodict",
        "wechsel beats wechsel-nodict",
        "dict beats dict-nodict",
        "rr-standard-nodict beats focus",
        "wechsel-refined beats wechsel",
    } <= set(claims["claim"])
    assert "## Alignments: the dictionary's, refined, and without a dictionary" in readme
    for path in (results / "relrep/fr").glob("*-main-plm/diagnostics.json"):
        built = json.loads(path.read_text())["lexicon_induction_built"]  # through the rows the model reads
        assert json.dumps({k: built[k] for k in ("candidates", "pairs")}) in scored and 0 <= built["p@1"] <= 1


@pytest.mark.e2e
def test_english_into_english_is_far_above_chance(tiny_run):
    result = json.loads((tiny_run / "results/tiny/eval/intents/en/rr-standard/seed0.json").read_text())
    chance = max(result["chance"]["majority_macro_f1"], result["chance"]["uniform_macro_f1"])
    assert result["macro_f1"] > chance + 0.3, (result["macro_f1"], chance)


@pytest.mark.e2e
def test_same_seed_gives_identical_metrics(tiny_run):
    target = "results/tiny/eval/intents/fr/rr-standard/seed0.json"
    first = json.loads((tiny_run / target).read_text())
    run_snakemake(
        "--configfile", str(TINY), "--directory", str(tiny_run), "--cores", "2", target, "--forcerun", "finetune"
    )
    second = json.loads((tiny_run / target).read_text())
    for key in ("macro_f1", "accuracy", "confusion_matrix", "per_class_f1", "predicted"):
        assert first[key] == second[key]


@pytest.mark.e2e
def test_one_language_reruns_without_fine_tuning(tiny_run):
    target = tiny_run / "results/tiny/eval/intents/fr/rr-softmax/seed0.json"
    (tiny_run / "results/tiny/eval/intents/fr/rr-standard/seed0.json").unlink()
    output = run_snakemake(
        "-n", "--configfile", str(TINY), "--directory", str(tiny_run), "results/tiny/languages/fr.done"
    ).stdout
    rules = [rule for rule, _ in _jobs(output)]
    assert "evaluate" in rules and "finetune" not in rules and "build_relative_embeddings" not in rules
    assert not target.exists()  # rr-softmax is not configured: no job for it


@pytest.mark.e2e
def test_adding_a_language_adds_only_its_jobs(tiny_run, tmp_path):
    config = yaml.safe_load(TINY.read_text())
    config["languages"]["fi"] = {
        "vectors": {
            "kind": "spacy",
            "package": "spacy_fi_experimental_web_md",
            "path": "fi_experimental_web_md-0.15.0/vocab",
        },
        "lexicon": [{"kind": "debian_freedict", "name": "eng-fin", "direction": "en-tgt"}],
    }
    config["datasets"]["intents"]["languages"].append("fi")
    configfile = tmp_path / "plus_fi.yaml"
    configfile.write_text(yaml.safe_dump(config, sort_keys=True))  # reordered keys must not matter
    run_snakemake("--configfile", str(TINY), "--directory", str(tiny_run), "--cores", "2")  # up to date first
    jobs = _jobs(run_snakemake("-n", "--configfile", str(configfile), "--directory", str(tiny_run)).stdout)
    per_language = [(rule, wc) for rule, wc in jobs if rule not in ("aggregate", "plots", "all")]
    assert per_language and all("fi" in wc for _, wc in per_language), per_language
    assert any(rule == "finetune" for rule, _ in per_language)


@pytest.mark.e2e
def test_a_new_dataset_rebuilds_the_target_rows_and_a_relrep_setting_retrains(tiny_run, tmp_path):
    """The constructions keep rows for every configured dataset's words, so a new dataset
    reruns its languages' target_words and builds (and, as F_s is rewritten, their RR
    fine-tunings: README, Disk). A changed relrep setting retrains the RR models."""
    config = yaml.safe_load(TINY.read_text())
    config["datasets"]["more"] = {**config["datasets"]["intents"], "languages": ["fr"], "seed": 1}
    plus = tmp_path / "plus_dataset.yaml"
    plus.write_text(yaml.safe_dump(config))
    run_snakemake("--configfile", str(TINY), "--directory", str(tiny_run), "--cores", "2")  # up to date first
    jobs = _jobs(run_snakemake("-n", "--configfile", str(plus), "--directory", str(tiny_run)).stdout)
    assert ("target_words", "lang=fr") in jobs
    assert any(rule == "build_relative_embeddings" and "lang=fr" in wc for rule, wc in jobs)
    assert any(rule == "finetune" and "dataset=more," in wc for rule, wc in jobs)
    config = yaml.safe_load(TINY.read_text())
    config["relrep"]["tau"] = 0.2
    changed = tmp_path / "tau.yaml"
    changed.write_text(yaml.safe_dump(config))
    jobs = _jobs(run_snakemake("-n", "--configfile", str(changed), "--directory", str(tiny_run)).stdout)
    assert any(rule == "finetune" and "training=rr-sparsemax," in wc for rule, wc in jobs)


@pytest.mark.e2e
def test_html_report_shows_every_plot(tiny_run):
    report = tiny_run / "report.html"
    run_snakemake("--configfile", str(TINY), "--directory", str(tiny_run), "--report", str(report))
    text = report.read_text(errors="replace")
    for name in ("bars.png", "sweep_k.png", "sweep_anchors.png", "gain.png", "drift.png", "costs.png", "curves.png"):
        assert name in text
    assert "criterion.png" in text  # the dictionary-free alignment's, per language
    assert "README.md" in text and "claims.md" in text
    shutil.rmtree(tiny_run / ".snakemake" / "log", ignore_errors=True)


def test_make_demo_leaves_the_tree_clean():
    """make demo writes only git-ignored paths (results/, resources/, logs/, benchmarks/,
    .snakemake/): the README's findings are copied by `make readme-findings`, on purpose."""
    commands = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.setup-done", "demo"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAKE")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert commands and all("snakemake" in line for line in commands), commands
    assert not any("readme_findings" in line or "README.md" in line for line in commands)
    for path in ("results/demo/x", "resources/x", "logs/demo/x", "benchmarks/demo/x", ".snakemake/x"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert ignored.returncode == 0, f"{path} is not ignored by git"


def test_hub_model_kind_from_a_local_snapshot(tmp_path, minilm_dir):
    """kind huggingface through the real rule, offline, from a hub cache holding the snapshot
    of a pinned commit (as huggingface_hub leaves it after a download)."""
    commit = "1234567890abcdef1234567890abcdef12345678"
    repo = tmp_path / "hub" / "models--sentence-transformers--all-MiniLM-L6-v2"
    snapshot = repo / "snapshots" / commit
    shutil.copytree(minilm_dir, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    config = yaml.safe_load(TINY.read_text())
    config["models"]["source"] = {
        "kind": "huggingface",
        "id": "sentence-transformers/all-MiniLM-L6-v2",
        "revision": commit,
        "casing": ["lower"],
    }
    configfile = tmp_path / "hub.yaml"
    configfile.write_text(yaml.safe_dump(config))
    target = f"resources/models/huggingface/sentence-transformers--all-MiniLM-L6-v2--{commit}"
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    run_snakemake("--configfile", str(configfile), "--directory", str(tmp_path), "--cores", "1", target, env=env)
    fetched = tmp_path / target
    assert (fetched / "model.safetensors").read_bytes() == (minilm_dir / "model.safetensors").read_bytes()
    assert (fetched / "tokenizer.json").exists()


@pytest.mark.e2e
def test_checkpoints_can_be_temporary(tmp_path):
    """training.keep_checkpoints: false deletes each fine-tuned model once the evaluations
    that read it are done (the paper run's checkpoints would take ~160 GB)."""
    config = yaml.safe_load(TINY.read_text())
    config["training"]["keep_checkpoints"] = False
    config["training"]["epochs"] = 1
    configfile = tmp_path / "temp.yaml"
    configfile.write_text(yaml.safe_dump(config))
    target = "results/tiny/eval/intents/fr/no-swap/seed0.json"
    run_snakemake("--configfile", str(configfile), "--directory", str(tmp_path), "--cores", "2", target)
    assert (tmp_path / target).exists()
    assert not (tmp_path / "results/tiny/models/intents/en/original/seed0").exists()


def test_a_one_seed_pilot_runs_end_to_end_with_its_claims_untested(tmp_path):
    """seeds: [0] is a pilot, not an error: Snakemake warns when it reads the config, the
    whole run goes through (fine-tunings, evaluations, the aggregate and plots), every claim
    that compares a one-seed method is untested with the reason, and the findings and the
    aggregate's log carry the warning."""
    config = yaml.safe_load(TINY.read_text())
    config.update(run="pilot", seeds=[0], methods=["rr-standard", "ls", "lr", "no-swap"])
    config["datasets"]["intents"]["languages"] = ["fr"]
    config["training"]["epochs"] = 1
    config.pop("sweeps")
    configfile = tmp_path / "pilot.yaml"
    configfile.write_text(yaml.safe_dump(config))
    result = run_snakemake("--configfile", str(configfile), "--directory", str(tmp_path), "--cores", "2")
    assert "WARNING: seeds: [0] gives every fine-tuned method one seed: a pilot run" in result.stderr
    results = tmp_path / "results" / "pilot"
    claims = pd.read_csv(results / "tables" / "claims.csv")
    assert len(claims) and (claims["verdict"] == "untested").all()
    assert claims["untested"].str.contains("one seed, no seed variance").all()
    readme = (results / "README.md").read_text()
    assert f"**Warning: {len(claims)} of {len(claims)} claims are untested" in readme
    assert "(1 seed)" in (results / "tables" / "main.md").read_text()
    assert (results / "plots" / "intents" / "bars.png").stat().st_size > 0
    assert "one seed (a pilot run)" in (tmp_path / "logs" / "pilot" / "analysis" / "aggregate.log").read_text()
