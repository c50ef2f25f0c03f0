"""The BLAS that FAISS's matrix products run on, and its kernel.

The faiss-cpu wheel bundles its own OpenBLAS (0.3.15 in faiss-cpu 1.15.1), which picks its
kernel from the CPU at load time. It does not know current Intel CPUs: on a Xeon with
AVX-512 and AMX it falls back to "Prescott", its generic SSE3 kernel, and FAISS's search
runs at a fraction of the machine's speed (measured there: faiss.knn of 40k x 10k x 300-d,
k = 1, 16.2 s as shipped, 4.5 s with OPENBLAS_CORETYPE=SkylakeX). numpy's own, newer
OpenBLAS detects the same CPU correctly.

load_faiss() is the one way the library imports faiss: before the first import it asks a
child process which kernel faiss's BLAS picks on this CPU (the choice is made when the
library is loaded, so it cannot be inspected without loading it), and where that kernel is
a weaker class than the CPU supports it sets OPENBLAS_CORETYPE for this process before faiss
loads. A core type already set in the environment is the user's choice and is kept.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

# OpenBLAS x86-64 kernels by the widest vector instructions they use (names as
# openblas_get_corename reports them, lowercased). A name not listed is never overridden.
KERNEL_CLASS = {
    **dict.fromkeys(
        ["katmai", "coppermine", "northwood", "prescott", "banias", "core2", "penryn", "dunnington", "nehalem"], 0
    ),
    **dict.fromkeys(["atom", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat"], 0),
    **dict.fromkeys(["sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"], 1),  # AVX
    **dict.fromkeys(["haswell", "zen"], 2),  # AVX2 + FMA
    **dict.fromkeys(["skylakex", "cooperlake", "sapphirerapids"], 3),  # AVX-512
}
# The kernel to ask for, per class, and the CPU flags (/proc/cpuinfo) it needs.
CLASS_KERNEL = {3: "SkylakeX", 2: "Haswell"}
CLASS_FLAGS = {
    3: {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"},
    2: {"avx2", "fma"},
}

_PROBE = """
import json, numpy, threadpoolctl
before = {lib["filepath"] for lib in threadpoolctl.threadpool_info()}
import faiss
print(json.dumps([lib for lib in threadpoolctl.threadpool_info()
                  if lib["filepath"] not in before and lib["internal_api"] in ("openblas", "mkl", "blis")]))
"""


def _cpuinfo_field(name: str, cpuinfo: str | None) -> str | None:
    """A field of the first CPU in /proc/cpuinfo (None where there is none)."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text() if path.exists() else ""
    for line in cpuinfo.splitlines():
        if line.split(":", 1)[0].strip() == name:
            return line.split(":", 1)[1].strip()
    return None


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The instruction-set flags of the first CPU in /proc/cpuinfo (empty where there is none)."""
    return set((_cpuinfo_field("flags", cpuinfo) or "").split())


def cpu_model(cpuinfo: str | None = None) -> str:
    """The CPU's model name (a timing names its machine)."""
    return _cpuinfo_field("model name", cpuinfo) or "unknown"


def best_kernel_class(flags: set[str]) -> int | None:
    """The widest kernel class the CPU can run (None: no AVX2, nothing to correct)."""
    return next((cls for cls in sorted(CLASS_FLAGS, reverse=True) if CLASS_FLAGS[cls] <= flags), None)


def corrected_core(detected: str | None, flags: set[str]) -> str | None:
    """The OPENBLAS_CORETYPE to set where OpenBLAS picked a weaker kernel class than the CPU
    runs (None: keep what it picked, also for a kernel name this table does not know)."""
    known = KERNEL_CLASS.get((detected or "").lower())
    best = best_kernel_class(flags)
    if known is None or best is None or known >= best:
        return None
    return CLASS_KERNEL[best]


def probe_faiss_blas(env: dict | None = None) -> list[dict]:
    """The BLAS libraries that importing faiss loads, as threadpoolctl describes them
    (filepath, internal_api, version, architecture), from a child process."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env or dict(os.environ), check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"probing faiss's BLAS failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@functools.lru_cache(maxsize=1)
def configure() -> dict:
    """Choose the kernel of faiss's OpenBLAS before faiss loads in this process; returns what
    was found and done (also logged): detected, used, how ('as detected', 'corrected', 'set
    in the environment', 'not OpenBLAS', 'faiss already loaded'), library and version."""
    if "faiss" in sys.modules:
        log.warning("faiss was imported before its BLAS kernel was chosen: kept as loaded")
        return {"how": "faiss already loaded", "library": None, "filepath": None, "detected": None, "used": None}
    try:
        found = probe_faiss_blas()
    except (RuntimeError, OSError, ValueError) as error:  # a speed probe never stops a step
        log.warning("faiss BLAS kernel left as the library picks it: %s", error)
        return {"how": "probe failed", "library": None, "filepath": None, "detected": None, "used": None}
    if not found:
        report = {"how": "no BLAS of its own", "library": None, "filepath": None, "detected": None, "used": None}
    else:
        lib = found[0]
        report = {
            "library": lib["internal_api"],
            "filepath": lib["filepath"],
            "version": lib.get("version"),
            "detected": lib.get("architecture"),
        }
        if lib["internal_api"] != "openblas":
            report |= {"how": "not OpenBLAS", "used": lib.get("architecture")}
        elif os.environ.get("OPENBLAS_CORETYPE"):
            report |= {"how": "set in the environment", "used": lib.get("architecture")}
        elif core := corrected_core(lib.get("architecture"), cpu_flags()):
            os.environ["OPENBLAS_CORETYPE"] = core
            report |= {"how": "corrected", "used": core}
        else:
            report |= {"how": "as detected", "used": lib.get("architecture")}
    log.info(
        "faiss BLAS: %s %s, kernel %s (%s; detected %s)",
        report.get("library"),
        report.get("version"),
        report.get("used"),
        report["how"],
        report.get("detected"),
    )
    return report


def load_faiss():
    """faiss, imported after its BLAS kernel is chosen (configure). A core type set here is
    taken back once faiss has loaded (OpenBLAS reads it only then): another library loaded
    later, and every child process, sees the environment the user gave."""
    report = configure()
    if "faiss" in sys.modules:
        return sys.modules["faiss"]
    import faiss

    if report.get("how") == "corrected" and os.environ.get("OPENBLAS_CORETYPE") == report["used"]:
        del os.environ["OPENBLAS_CORETYPE"]
    return faiss


def kernel_in_use() -> str:
    """The kernel faiss's BLAS runs in this process, read from the loaded library (for the
    BENCH lines and the build diagnostics): '<library> <kernel>'."""
    from threadpoolctl import threadpool_info

    report = configure()
    load_faiss()
    for lib in threadpool_info():
        if lib["filepath"] == report.get("filepath"):
            return f"{lib['internal_api']} {lib.get('architecture')}"
    return f"unknown ({report['how']})"
