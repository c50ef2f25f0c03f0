"""A real Slurm cluster in the test suite: Debian's slurm-wlm and munge, one node on
127.0.0.1, brought up by tests/slurm/cluster_up.sh and always torn down (by PID) after.
The tiny config goes through profiles/slurm and the real executor plugin in one run:
the evaluations leave as group jobs, the fine-tunings ask for a GPU (the node's fake one),
one fine-tuning is cancelled with scancel while training and resumes on its retry (with
attempt-scaled memory and time) to exactly the numbers of the uninterrupted local run,
and a failing job leaves the others to finish (keep-going).

Needs root and Debian's package registry (the set-up installs the packages); skipped,
with the reason, where either is missing. Run alone:  .venv/bin/python -m pytest -m slurm
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SNAKEMAKE, TINY

pytestmark = pytest.mark.slurm
SCRIPTS = ROOT / "tests" / "slurm"
MODELS = "results/tiny/models/intents/fr/rr-standard"
REDONE = [  # what the cluster redoes: both seeds of one stitched method for French
    *(f"{MODELS}/seed{s}" for s in (0, 1)),
    *(f"results/tiny/eval/intents/fr/{m}/seed{s}.json" for m in ("rr-standard", "rr-standard-tuned") for s in (0, 1)),
    *(f"results/tiny/eval_english/intents/fr/rr-standard/seed{s}.json" for s in (0, 1)),
]


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "the Slurm tests install and start Debian's slurm-wlm and munge: they need root"
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        return "no apt-get and no Slurm installed: the Slurm tests need Debian's packages"
    return None


@pytest.fixture(scope="module")
def cluster():
    if reason := _unavailable():
        pytest.skip(reason)
    # munged runs as user munge: its state must sit in a directory that user can reach
    # (pytest's tmp folders are private to root).
    state = Path(tempfile.mkdtemp(prefix="mosecrot-slurm-"))
    state.chmod(0o755)
    up = subprocess.run(["bash", str(SCRIPTS / "cluster_up.sh"), str(state)], capture_output=True, text=True)
    try:
        if up.returncode == 4:
            pytest.skip(f"Debian's package registry is unreachable: {up.stderr.strip()[-500:]}")
        if up.returncode == 3:
            pytest.skip(up.stderr.strip())  # a real Slurm configuration on this machine: left alone
        assert up.returncode == 0, f"cluster_up.sh failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}"
        yield state
    finally:
        subprocess.run(["bash", str(SCRIPTS / "cluster_down.sh"), str(state)], capture_output=True, text=True)
        shutil.rmtree(state, ignore_errors=True)


def _test_profile(folder: Path) -> Path:
    """profiles/slurm as it is, except: no conda (this machine has none; the env files are
    checked by test_conda_envs), no configfile (the tiny one is given), and one thread for
    the fine-tunings and evaluations, as in the local run whose numbers they must repeat."""
    profile = yaml.safe_load((ROOT / "profiles/slurm/profile.yaml").read_text())
    for key in ("software-deployment-method", "configfile"):
        profile.pop(key)
    profile["set-threads"].update({"finetune": 1, "evaluate": 1, "evaluate_english": 1})
    folder.mkdir()
    (folder / "profile.yaml").write_text(yaml.safe_dump(profile))
    return folder


def _overlay(folder: Path) -> Path:
    """A GPU per fine-tuning and evaluation (the node's fake one: the jobs ask Slurm for it
    and train on the CPU), and an extra language whose vector file is broken: its cache
    job fails on the cluster."""
    broken = folder / "broken.vec"
    broken.write_text("2 300\nmot 0.1 0.2\nautre 0.3\n", encoding="utf-8")
    overlay = {
        "compute": {"training_gpus": 1},
        "languages": {
            "xx": {
                "vectors": {"kind": "local", "path": str(broken), "format": "vec"},
                "lexicon": [{"kind": "identity"}],
            }
        },
    }
    path = folder / "overlay.yaml"
    path.write_text(yaml.safe_dump(overlay))
    return path


def _cancel_after_first_epoch(models: Path, stop: threading.Event, record: dict) -> None:
    """Once a fine-tuning has checkpointed an epoch, scancel its Slurm job."""
    while not stop.is_set():
        resumes = sorted(models.glob("seed*.resume.pt"))
        if resumes:
            queue = subprocess.run(["squeue", "-h", "-o", "%i %k %T"], capture_output=True, text=True).stdout
            jobs = [line.split() for line in queue.splitlines()]
            running = [job[0] for job in jobs if job[1].startswith("rule_finetune_") and job[2] == "RUNNING"]
            if running:
                subprocess.run(["scancel", running[0]], check=True)
                record.update(job=running[0], seed=resumes[0].name.split(".")[0], at=time.time())
                return
        time.sleep(0.2)


def _copy_run(tiny_run: Path, work: Path) -> None:
    """The local run's tree, files hard-linked (outputs are replaced, never written in
    place); Snakemake's own metadata copied."""
    shutil.copytree(tiny_run, work, dirs_exist_ok=True, symlinks=True, copy_function=os.link)
    shutil.rmtree(work / ".snakemake")
    shutil.copytree(tiny_run / ".snakemake", work / ".snakemake", symlinks=True)
    for relative in REDONE:
        path = work / relative
        shutil.rmtree(path) if path.is_dir() else path.unlink()


def run_on_cluster(work: Path, extra: Path) -> tuple[subprocess.CompletedProcess, dict, float]:
    """The tiny config through the test profile, French and the broken language as targets,
    while a watcher cancels the first fine-tuning that has checkpointed an epoch."""
    profile = _test_profile(extra / "profile")
    command = [
        "timeout", "-k", "10", "1200",
        *SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(work),
        # Targets first: the options below that take several values would swallow them.
        "results/tiny/languages/fr.done", "results/tiny/vectors/xx/vectors.npy",
        "--profile", str(profile),
        "--configfile", str(TINY), str(_overlay(extra)),
        # No accounting database here: job states from squeue (the plugin otherwise waits on sacct forever).
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "1",
        "--verbose",
    ]  # fmt: skip
    env = {**os.environ, "PATH": f"{Path(SNAKEMAKE[0]).parent}:{os.environ['PATH']}"}
    stop, record = threading.Event(), {}
    watcher = threading.Thread(target=_cancel_after_first_epoch, args=(work / MODELS, stop, record), daemon=True)
    watcher.start()
    started = time.time()
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    finally:
        stop.set()
        watcher.join()
    return result, record, time.time() - started


@pytest.fixture(scope="module")
def slurm_run(cluster, tiny_run, tmp_path_factory):
    work = tmp_path_factory.mktemp("slurm")
    _copy_run(tiny_run, work)
    return work, *run_on_cluster(work, tmp_path_factory.mktemp("slurm-config"))


def _sbatch_calls(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("sbatch call:")]


def test_the_cluster_runs_the_tiny_config_through_the_profile(slurm_run, tiny_run):
    work, result, record, seconds = slurm_run
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the broken language must fail the run"
    assert (work / "results/tiny/languages/fr.done").exists(), output[-5000:]
    calls = _sbatch_calls(output)
    finetunes = [call for call in calls if "--comment rule_finetune" in call]
    assert finetunes and all("--gpus=1" in call for call in finetunes)
    assert any("-t 120 --mem 8000" in call for call in finetunes), finetunes
    # Evaluations go out in groups (profiles/slurm: groups of 4 jobs, every seed each, per allocation).
    grouped = [call for call in calls if "--local-groupid" in call]
    assert any(len(re.findall(r"'evaluate(?:_english)?:", call)) >= 2 for call in grouped), grouped
    print(f"slurm run: {seconds:.0f} s, {len(calls)} submissions")


def _untimed(result: dict) -> list[dict]:
    return [{k: v for k, v in epoch.items() if k != "seconds"} for epoch in result["training"]["curve"]]


def test_a_cancelled_fine_tuning_resumes_to_the_same_numbers(slurm_run, tiny_run):
    work, result, record, _ = slurm_run
    output = result.stdout + result.stderr
    assert record, f"no fine-tuning was seen training:\n{output[-5000:]}"
    assert f"SLURM-job '{record['job']}' failed, SLURM status is: 'CANCELLED'" in output
    assert "Trying to restart job" in output
    retried = [call for call in _sbatch_calls(output) if "--comment rule_finetune" in call and "--attempt 2" in call]
    assert retried and all("-t 240 --mem 16000" in call for call in retried), retried  # attempt-scaled
    log = (work / f"logs/tiny/finetune/intents/fr/rr-standard/{record['seed']}.log").read_text()
    assert "resuming after epoch" in log, log[-3000:]
    assert not (work / MODELS / f"{record['seed']}.resume.pt").exists()  # deleted on success
    for seed in (0, 1):
        relative = f"results/tiny/eval/intents/fr/rr-standard/seed{seed}.json"
        redone, local = (json.loads((base / relative).read_text()) for base in (work, tiny_run))
        for key in ("predicted", "macro_f1", "confusion_matrix"):
            assert redone[key] == local[key], (seed, key)
        for key in ("selected_epoch", "dev_macro_f1", "dev_loss"):
            assert redone["training"][key] == local["training"][key], (seed, key)
        assert _untimed(redone) == _untimed(local), seed  # every epoch's losses and dev scores


def test_a_failing_job_leaves_the_others_to_finish(slurm_run):
    work, result, _, _ = slurm_run
    output = result.stdout + result.stderr
    assert "Error in rule cache_vectors" in output and "lang=xx" in output
    assert not (work / "results/tiny/vectors/xx/vectors.npy").exists()
    log = (work / "logs/tiny/vectors/xx.log").read_text()
    assert "broken.vec" in log
    # Every French evaluation still ran, after the failure.
    for seed in (0, 1):
        assert (work / f"results/tiny/eval/intents/fr/rr-standard-tuned/seed{seed}.json").exists()
