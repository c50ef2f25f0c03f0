"""Cluster execution: what Snakemake's own argument parser makes of the profiles, the Slurm
submissions rendered by the real slurm executor plugin against fake Slurm commands (a GPU
fine-tuning, a group of evaluations), keep-going, and the rules that run locally."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, TINY, run_snakemake

FAKE_SBATCH = """#!/bin/sh
echo "$@" >> "$FAKE_SBATCH_LOG"
echo "no cluster in this test" >&2
exit 1
"""
BERT = "resources/models/huggingface/bert-base-cased--cd5ef92a9fb2f889e972770a36d4ed042daf221e"


def _parsed(*argv: str) -> dict:
    """The merged settings, exactly as Snakemake's command line parser sees them."""
    code = (
        "import json, sys\nfrom snakemake.cli import parse_args\n"
        "_, args = parse_args(sys.argv[1:])\n"
        "keys = ('latency_wait', 'keep_going', 'cores', 'jobs', 'executor', 'retries', 'groups', 'group_components',"
        " 'software_deployment_method')\n"
        "print(json.dumps({k: getattr(args, k) for k in keys}, default=lambda v: sorted(map(str, v))))"
    )
    out = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, check=True)
    return yaml.safe_load(out.stdout.strip().splitlines()[-1])


def test_the_slurm_profile_wins_over_the_workflow_profile():
    """profiles/default is loaded automatically and beats --profile key by key: it must not
    hold any run setting, or the cluster run gets the local one."""
    slurm = _parsed("--profile", "profiles/slurm", "-n")
    assert slurm["latency_wait"] == 60 and slurm["keep_going"] is True and slurm["retries"] == 2
    assert slurm["executor"] == "slurm" and slurm["jobs"] == 100 and slurm["cores"] == 8
    assert slurm["software_deployment_method"] == ["conda"]
    assert slurm["groups"] == {
        "evaluate": "evaluations",
        "evaluate_english": "evaluations",
        "evaluate_lr": "evaluations",
    }
    # Each evaluation job reads every seed of its method: 4 jobs make about 20 models a group.
    assert slurm["group_components"] == {"evaluations": 4}
    local = _parsed("-n")
    assert local["executor"] is None and local["software_deployment_method"] == [] and local["keep_going"] is False
    default = yaml.safe_load((ROOT / "profiles/default/profile.yaml").read_text())
    run_settings = {
        "cores",
        "jobs",
        "executor",
        "keep-going",
        "latency-wait",
        "retries",
        "use-conda",
        "software-deployment-method",
    }
    assert not run_settings & set(default)


def _fake_slurm(bin_dir):
    bin_dir.mkdir()
    scripts = {"sbatch": FAKE_SBATCH, "sacctmgr": "#!/bin/sh\necho test_account\n"}
    for name in ("sacct", "squeue", "sinfo", "scontrol", "sshare"):
        scripts[name] = "#!/bin/sh\nexit 0\n"
    for name, text in scripts.items():
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _submit(tmp_path, monkeypatch, files, *targets, retries=0):
    """Run the paper config under the Slurm profile with a fake sbatch that records its
    arguments and refuses every job; `files` are created first, in dependency order."""
    _fake_slurm(tmp_path / "bin")
    work = tmp_path / "work"
    for path in files:
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).touch()
    log = tmp_path / "sbatch.log"
    monkeypatch.setenv("FAKE_SBATCH_LOG", str(log))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    # No conda here: --sdm env-modules stands in for the profile's conda (no rule uses modules).
    result = run_snakemake(
        "--configfile",
        str(ROOT / "config/config.yaml"),
        "--profile",
        str(ROOT / "profiles/slurm"),
        "--sdm",
        "env-modules",
        "--retries",
        str(retries),
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--directory",
        str(work),
        *targets,
        check=False,
    )
    assert result.returncode != 0  # the fake sbatch refuses the job after recording it
    return log.read_text().splitlines()


def test_gpu_fine_tuning_asks_for_gpu_memory_and_runtime_from_the_config(tmp_path, monkeypatch):
    files = ["results/paper/data/taxi1500/en.tsv", "results/paper/data/taxi1500/labels.json", f"{BERT}/config.json"]
    first, retry = _submit(tmp_path, monkeypatch, files, "results/paper/models/taxi1500/en/original/seed0", retries=1)
    assert "--gpus=1" in first
    assert "--mem 24000" in first and "-t 240" in first  # compute.training_* of config.yaml, attempt 1
    assert "--cpus-per-task=4" in first
    assert "finetune:dataset=taxi1500,lang=en,training=original,seed=0" in first
    assert "--mem 48000" in retry and "-t 480" in retry and "--attempt 2" in retry  # grows with each retry


def test_one_evaluation_job_reads_every_seed_in_one_allocation(tmp_path, monkeypatch):
    """A method's evaluation on a language is one job over all seeds' models (the imports
    cost more than one model's evaluation): asking for two seeds' results submits that one
    job, with the memory of one evaluation and the runtime of all five."""
    upstream = [
        "resources/download/vectors/de/wiki.de.vec",
        "resources/download/vectors/de/wiki.de.vec.manifest.json",
        "resources/download/lexicons/de/en-de.txt",
        "resources/download/lexicons/de/en-de.txt.manifest.json",
        f"{BERT}/config.json",
        "results/paper/data/taxi1500/en.tsv",
        "results/paper/data/taxi1500/de.tsv",
        "results/paper/data/taxi1500/labels.json",
        *(f"results/paper/vectors/de/vectors.{ext}" for ext in ("npy", "vocab.txt", "beyond_top_n.txt", "stats.json")),
        "results/paper/lexicons/de.tsv",
        "results/paper/lexicons/de.stats.json",
        *(f"results/paper/anchors/de/main.{ext}" for ext in ("tsv", "heldout.tsv", "stats.json")),
        "results/paper/target_words/de.npy",
        "results/paper/target_words/de.json",
        "results/paper/linear/de/ls.npz",
        "results/paper/linear/de/ls.json",
        *(f"results/paper/models/taxi1500/en/original/seed{s}/config.json" for s in range(5)),
    ]
    targets = [f"results/paper/eval/taxi1500/de/ls/seed{s}.json" for s in (0, 1)]
    calls = _submit(tmp_path, monkeypatch, upstream, *targets)
    assert len(calls) == 1, calls  # both seeds (and the other three) in one allocation
    call = calls[0]
    assert "evaluate:dataset=taxi1500,lang=de,method=ls" in call and "seed=" not in call, call
    # One model after the other: memory of one evaluation, runtime of all five seeds.
    assert "--mem 16000" in call and "-t 150" in call, call


def test_one_failing_job_leaves_the_others_running_on_the_cluster(tmp_path):
    """The cluster profile's keep-going (executor swapped for local here): a language whose
    local dictionary is missing fails its own jobs; the other language still finishes."""
    config = yaml.safe_load(TINY.read_text())
    config["languages"]["de"] = {
        "vectors": config["languages"]["fr"]["vectors"],
        "lexicon": [{"kind": "local", "path": str(tmp_path / "missing-en-de.tsv"), "format": "tsv"}],
    }
    configfile = tmp_path / "keep_going.yaml"
    configfile.write_text(yaml.safe_dump(config))
    common = ["--configfile", str(configfile), "--directory", str(tmp_path / "work"), "--executor", "local"]
    common += ["--sdm", "env-modules", "--cores", "1", "--jobs", "1", "--retries", "0"]
    targets = ["results/tiny/lexicons/de.tsv", "results/tiny/lexicons/fr.tsv"]
    result = run_snakemake("--profile", str(ROOT / "profiles/slurm"), *common, *targets, check=False)
    assert result.returncode != 0
    assert (tmp_path / "work/results/tiny/lexicons/fr.tsv").exists()
    assert not (tmp_path / "work/results/tiny/lexicons/de.tsv").exists()
    log = (tmp_path / "work/logs/download/lexicons/de/missing-en-de.tsv.log").read_text()
    assert "missing-en-de.tsv does not exist" in log


def test_downloads_hub_fetches_and_small_jobs_run_on_the_submitting_node():
    """Compute nodes often have no internet; tiny jobs are not worth a submission."""
    local = set()
    for path in (ROOT / "rules").glob("*.smk"):
        for block in re.split(r"\n(?=rule )", path.read_text()):
            head = re.match(r"rule (\w+):", block)
            if head and re.search(r"^\s+localrule: True$", block, re.M):
                local.add(head.group(1))
    assert local == {
        "download_file",
        "fetch_huggingface_model",
        "copy_model",
        "prepare_hub_dataset",
        "pack_debian_freedict",
        "dataset_labels",
        "language_done",
        "aggregate",
        "plots",
    }


def test_gpu_rules_fall_back_to_the_cpu(monkeypatch):
    """compute.*_gpus only requests GPUs; the code runs where there is none."""
    import torch
    from mosecrot import relrep, train

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert train.pick_device("cuda").type == "cpu" and train.pick_device("auto").type == "cpu"
    monkeypatch.setattr(relrep, "gpu_available", lambda: False)
    assert relrep.resolve_backend("faiss-gpu", 50) == "faiss-cpu"


@pytest.mark.parametrize("profile", ["profiles/default/profile.yaml", "profiles/slurm/profile.yaml"])
def test_conda_only_on_the_cluster(profile):
    settings = yaml.safe_load((ROOT / profile).read_text())
    uses_conda = settings.get("software-deployment-method") == "conda" or settings.get("use-conda")
    assert bool(uses_conda) == ("slurm" in profile)
