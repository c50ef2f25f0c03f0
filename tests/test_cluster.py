"""Cluster execution: the Slurm submission of a GPU rule, rendered by the real slurm
executor plugin against fake Slurm commands, and the default profile's promises."""

from __future__ import annotations

import os
import stat

import yaml
from conftest import ROOT, run_snakemake

FAKE_SBATCH = """#!/bin/sh
echo "$@" >> "$FAKE_SBATCH_LOG"
echo "no cluster in this test" >&2
exit 1
"""


def _fake_slurm(bin_dir):
    bin_dir.mkdir()
    scripts = {"sbatch": FAKE_SBATCH, "sacctmgr": "#!/bin/sh\necho test_account\n"}
    for name in ("sacct", "squeue", "sinfo", "scontrol", "sshare"):
        scripts[name] = "#!/bin/sh\nexit 0\n"
    for name, text in scripts.items():
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_gpu_rule_submission_asks_for_gpu_memory_and_runtime(tmp_path, monkeypatch):
    _fake_slurm(tmp_path / "bin")
    work = tmp_path / "work"
    for path in (
        "results/paper/data/taxi1500/en.tsv",
        "results/paper/data/taxi1500/labels.json",
        "resources/models/huggingface/bert-base-cased/config.json",
    ):
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
        "--cores",
        "64",
        "--jobs",
        "1",
        "--retries",
        "0",
        "--directory",
        str(work),
        "results/paper/models/taxi1500/en/original/seed0",
        check=False,
    )
    assert result.returncode != 0  # the fake sbatch refuses the job after recording it
    call = log.read_text().splitlines()[0]
    assert "--gpus=1" in call
    assert "--mem 24000" in call and "-t 240" in call
    assert "--cpus-per-task=4" in call
    assert "finetune:dataset=taxi1500,lang=en,training=original,seed=0" in call


def test_profiles_keep_conda_on_the_cluster_only():
    default = yaml.safe_load((ROOT / "profiles/default/profile.yaml").read_text())
    slurm = yaml.safe_load((ROOT / "profiles/slurm/profile.yaml").read_text())
    assert "use-conda" not in default and "software-deployment-method" not in default
    assert slurm["software-deployment-method"] == "conda" and slurm["executor"] == "slurm"
    for rule in ("finetune", "build_relative_embeddings", "evaluate"):
        assert {"mem_mb", "runtime"} <= set(slurm["set-resources"][rule])


def test_gpu_rules_fall_back_to_the_cpu(monkeypatch):
    """compute.*_gpus only requests GPUs; the code runs where there is none."""
    import torch
    from mosecrot import relrep, train

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert train.pick_device("cuda").type == "cpu" and train.pick_device("auto").type == "cpu"
    monkeypatch.setattr(relrep, "gpu_available", lambda: False)
    assert relrep.resolve_backend("faiss-gpu", 50) == "faiss-cpu"
