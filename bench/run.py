"""Benchmarks (`make bench`): measured ratios against peers in the same run, never timed
unit tests. Each measurement runs in a fresh subprocess so its peak memory is its own.

  vec_load:      our .vec reader vs gensim's load_word2vec_format on a 200k x 300 file
  relrep_build:  the whole relative-matrix build (search, weighting, gather) vs the
                 machine's sgemm peak and a chunked numpy matmul + argpartition build
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "workflow" / "lib"))

N_WORDS, DIM = 200_000, 300
N_ANCHORS, K, PLM_DIM = 10_000, 50, 768


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(task: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", task], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- children


def make_vec(path: Path) -> None:
    rng = np.random.default_rng(0)
    with open(path, "w") as out:
        out.write(f"{N_WORDS} {DIM}\n")
        for start in range(0, N_WORDS, 10_000):
            block = rng.standard_normal((10_000, DIM)).astype(np.float32)
            lines = (f"w{start + i} " + " ".join(f"{x:.4f}" for x in row) + " \n" for i, row in enumerate(block))
            out.writelines(lines)


def child_ours() -> dict:
    from mosecrot import vectors

    base = rss_mb()
    started = time.perf_counter()
    loaded, _ = vectors.read_vec(OUT / "bench.vec", threads=2)
    seconds = time.perf_counter() - started
    vectors.save_cache(loaded, OUT / "bench.npy", OUT / "bench.vocab.txt")
    return {
        "seconds": seconds,
        "peak_mb": peak_mb() - base,
        "matrix_mb": loaded.matrix.nbytes / 2**20,
        "rows": len(loaded.words),
    }


def child_gensim() -> dict:
    from gensim.models import KeyedVectors

    started = time.perf_counter()
    model = KeyedVectors.load_word2vec_format(str(OUT / "bench.vec"))
    return {"seconds": time.perf_counter() - started, "rows": len(model.index_to_key)}


def child_cached() -> dict:
    from mosecrot import vectors

    started = time.perf_counter()
    cached = vectors.load_cache(OUT / "bench.npy", OUT / "bench.vocab.txt")
    _ = float(cached.matrix[len(cached.words) // 2].sum())  # touch a row
    return {"seconds": time.perf_counter() - started}


def _relrep_inputs():
    rng = np.random.default_rng(1)
    queries = rng.standard_normal((N_WORDS, DIM), dtype=np.float32)
    anchors = queries[rng.choice(N_WORDS, N_ANCHORS, replace=False)].copy()
    outputs = rng.standard_normal((N_ANCHORS, PLM_DIM), dtype=np.float32)
    return queries, anchors, outputs


def child_relrep() -> dict:
    from mosecrot import relrep

    queries, anchors, outputs = _relrep_inputs()
    base = rss_mb()
    inputs_mb = (queries.nbytes + anchors.nbytes + outputs.nbytes) / 2**20
    started = time.perf_counter()
    matrix, _, _ = relrep.stitch(queries, anchors, outputs, K, "softmax", tau=0.1, backend="faiss-cpu")
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mb": peak_mb() - base,
        "inputs_mb": inputs_mb,
        "output_mb": matrix.nbytes / 2**20,
        "search_only": _search_only(queries, anchors),
    }


def _search_only(queries, anchors) -> float:
    import faiss
    from mosecrot import relrep

    qn, an = relrep.normalized(queries), relrep.normalized(anchors)
    started = time.perf_counter()
    faiss.knn(qn, an, K, metric=faiss.METRIC_INNER_PRODUCT)
    return time.perf_counter() - started


def child_numpy_relrep() -> dict:
    """The plain baseline: chunked numpy matmul, argpartition, softmax, gather."""
    queries, anchors, outputs = _relrep_inputs()
    started = time.perf_counter()
    an = anchors / np.linalg.norm(anchors, axis=1, keepdims=True)
    out = np.empty((N_WORDS, PLM_DIM), dtype=np.float32)
    for start in range(0, N_WORDS, 4096):
        q = queries[start : start + 4096]
        sims = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ an.T
        idx = np.argpartition(-sims, K, axis=1)[:, :K]
        top = np.take_along_axis(sims, idx, axis=1) / 0.1
        weights = np.exp(top - top.max(axis=1, keepdims=True))
        weights /= weights.sum(axis=1, keepdims=True)
        out[start : start + 4096] = np.einsum("nk,nkd->nd", weights, outputs[idx])
    return {"seconds": time.perf_counter() - started}


def child_sgemm() -> dict:
    a = np.random.default_rng(2).standard_normal((4096, 4096), dtype=np.float32)
    a @ a  # warm up
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - started)
    return {"gflops": 2 * 4096**3 / best / 1e9}


CHILDREN = {
    "ours": child_ours,
    "gensim": child_gensim,
    "cached": child_cached,
    "relrep": child_relrep,
    "numpy_relrep": child_numpy_relrep,
    "sgemm": child_sgemm,
}


# --------------------------------------------------------------------------- main


def bench_vec_load() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if not (OUT / "bench.vec").exists():
        print(f"writing a {N_WORDS} x {DIM} .vec file ...", flush=True)
        make_vec(OUT / "bench.vec")
    # Ours is fast enough to repeat: the median of three runs, and the largest peak.
    runs = sorted((child("ours") for _ in range(3)), key=lambda run: run["seconds"])
    ours = {**runs[1], "peak_mb": max(run["peak_mb"] for run in runs)}
    gensim, cached = child("gensim"), child("cached")
    assert ours["rows"] == gensim["rows"] == N_WORDS
    speedup = gensim["seconds"] / ours["seconds"]
    peak_ratio = ours["peak_mb"] / ours["matrix_mb"]
    print(
        f"vec_load: ours {ours['seconds']:.2f} s (median of " + ", ".join(f"{r['seconds']:.2f}" for r in runs) + "), "
        f"gensim {gensim['seconds']:.2f} s, speedup {speedup:.1f}x "
        f"(target >= 15x); cached reload {cached['seconds'] * 1000:.0f} ms (target < 100 ms); "
        f"peak memory {ours['peak_mb']:.0f} MB = {peak_ratio:.2f}x the {ours['matrix_mb']:.0f} MB matrix (target <= 2x)"
    )
    print(
        f"BENCH vec_load ours_s={ours['seconds']:.3f} gensim_s={gensim['seconds']:.3f} speedup={speedup:.2f} "
        f"cached_s={cached['seconds']:.4f} peak_mem_ratio={peak_ratio:.2f}",
        flush=True,
    )


def bench_relrep_build() -> None:
    sgemm, ours, numpy_build = child("sgemm"), child("relrep"), child("numpy_relrep")
    flops = 2 * N_WORDS * N_ANCHORS * DIM + 2 * N_WORDS * K * PLM_DIM
    ours_gflops = flops / ours["seconds"] / 1e9
    frac = ours_gflops / sgemm["gflops"]
    search_frac = 2 * N_WORDS * N_ANCHORS * DIM / ours["search_only"] / 1e9 / sgemm["gflops"]
    vs_numpy = numpy_build["seconds"] / ours["seconds"]
    mem_ratio = ours["peak_mb"] / (ours["inputs_mb"] + ours["output_mb"])
    print(
        f"relrep_build (N={N_WORDS}, anchors={N_ANCHORS}, d={DIM}, k={K}, output {PLM_DIM}-d): "
        f"ours {ours['seconds']:.2f} s = {ours_gflops:.0f} GFLOP/s, {frac:.0%} of the sgemm peak "
        f"{sgemm['gflops']:.0f} GFLOP/s (target >= 80%; FAISS search alone {search_frac:.0%}); "
        f"numpy matmul+argpartition {numpy_build['seconds']:.1f} s -> {vs_numpy:.1f}x (target >= 5x); "
        f"peak memory {mem_ratio:.2f}x inputs+output (target <= 1.5x)"
    )
    print(
        f"BENCH relrep_build ours_s={ours['seconds']:.3f} frac_sgemm_peak={frac:.3f} vs_numpy={vs_numpy:.2f} "
        f"peak_mem_ratio={mem_ratio:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(CHILDREN[sys.argv[2]]()))
    else:
        selected = sys.argv[1:] or ["vec_load", "relrep_build"]
        for name in selected:
            {"vec_load": bench_vec_load, "relrep_build": bench_relrep_build}[name]()
