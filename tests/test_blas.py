"""The kernel of FAISS's bundled OpenBLAS: the correction table on crafted CPUs, and the real
library in child processes (the choice is made when the library loads): the kernel it runs
is never a weaker class than this CPU supports, and a core type set by the user is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from mosecrot import blas

AVX512 = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl amx_tile"
AVX2 = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma"


def test_cpu_flags_are_read_from_cpuinfo():
    cpuinfo = f"processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: {AVX2}\n\nprocessor\t: 1\nflags\t\t: fpu\n"
    assert blas.cpu_flags(cpuinfo) == set(AVX2.split())
    assert blas.cpu_flags("processor : 0\n") == set()
    assert blas.cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 9B14\nflags\t\t: fpu\n") == "AMD EPYC 9B14"
    assert blas.cpu_model("processor : 0\n") == "unknown"


@pytest.mark.parametrize(
    ("detected", "flags", "expected"),
    [
        ("Prescott", AVX512, "SkylakeX"),  # the measured case: a current Xeon, OpenBLAS 0.3.15
        ("Haswell", AVX512, "SkylakeX"),
        ("Zen", AVX512, "SkylakeX"),
        ("SkylakeX", AVX512, None),
        ("SapphireRapids", AVX512, None),  # a newer OpenBLAS that knows the CPU is never downgraded
        ("Prescott", AVX2, "Haswell"),
        ("Zen", AVX2, None),
        ("Sandybridge", AVX2, "Haswell"),
        ("Prescott", "fpu sse sse2 avx", None),  # no AVX2: nothing to correct to
        ("NewCoreNobodyKnows", AVX512, None),  # unknown names are kept
        (None, AVX512, None),
    ],
)
def test_the_correction_only_raises_a_kernel_the_cpu_outclasses(detected, flags, expected):
    assert blas.corrected_core(detected, set(flags.split())) == expected


def _child(code: str, **env) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"} | env
    environ["PYTHONPATH"] = str(ROOT / "workflow" / "lib")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


REPORT = (
    "import json, os; from mosecrot import blas; "
    "print(json.dumps(blas.configure() | {'in_use': blas.kernel_in_use(), "
    "'environment_after': os.environ.get('OPENBLAS_CORETYPE')}))"
)


@pytest.mark.skipif(bool(os.environ.get("OPENBLAS_CORETYPE")), reason="this machine sets OPENBLAS_CORETYPE itself")
def test_faiss_runs_a_kernel_of_the_best_class_this_cpu_supports():
    report = _child(REPORT)
    assert report["library"] == "openblas" and report["in_use"] == f"openblas {report['used']}"
    best = blas.best_kernel_class(blas.cpu_flags())
    if best is not None:
        assert blas.KERNEL_CLASS[report["used"].lower()] >= best, report
    if report["how"] == "corrected":
        assert blas.corrected_core(report["detected"], blas.cpu_flags()) == report["used"]
    # Taken back once faiss has loaded: later libraries and child processes see the user's environment.
    assert report["environment_after"] is None


def test_a_core_type_set_by_the_user_is_kept():
    report = _child(REPORT, OPENBLAS_CORETYPE="Prescott")
    assert report["how"] == "set in the environment"
    assert report["in_use"] == "openblas Prescott"  # the loaded library says so, not our table
    assert report["environment_after"] == "Prescott"


def test_the_probe_sees_what_faiss_loads():
    (lib,) = blas.probe_faiss_blas({**os.environ, "OPENBLAS_CORETYPE": "Haswell"})
    assert lib["internal_api"] == "openblas" and lib["architecture"] == "Haswell"
    assert "faiss" in lib["filepath"]
