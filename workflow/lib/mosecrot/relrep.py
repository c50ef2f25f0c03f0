"""Relative representations and the stitched embedding matrices (method.md).

For query vectors X (PLM rows on the source side, fastText rows on the target side)
and anchor vectors A in the same space, each row's top-k anchors by cosine N(x) give

    F[x] = sum_{n in N(x)} w_n * E_s[a_n^en]

with weights over the k similarities: standard (similarity-normalised), softmax(s/tau)
or sparsemax(s/tau). The |V| x |A| similarity matrix is only ever held per chunk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from mosecrot.blas import load_faiss
from mosecrot.io import PipelineInputError, atomic_path, progress

log = logging.getLogger(__name__)

GPU_MAX_K = 2048  # faiss GPU top-k limit: larger numeric k runs on faiss-cpu, k = all by matmul
WEIGHTINGS = ("standard", "softmax", "sparsemax")


def gpu_available() -> bool:
    faiss = load_faiss()
    return hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


def normalized(x: np.ndarray) -> np.ndarray:
    """A float32 C-contiguous L2-normalised copy; zero rows stay zero (cosine 0)."""
    faiss = load_faiss()
    out = np.array(x, dtype=np.float32, order="C", copy=True)
    faiss.normalize_L2(out)
    return out


# --------------------------------------------------------------------------- weights


def standard_weights(sims: np.ndarray, valid: np.ndarray, clip_negative: bool = True) -> np.ndarray:
    """w = s / sum(s) over the neighbours (tau cancels). With clip_negative (a GAP choice),
    negative cosines count as 0 so weights stay a convex combination, and rows with nothing
    positive get uniform weights; without it the raw similarities are normalised (CLP's
    rule; a row whose similarities sum to 0 gets uniform weights). No valid neighbour: 0."""
    s = np.where(valid, np.maximum(sims, 0.0) if clip_negative else sims, 0.0)
    total = s.sum(axis=1, keepdims=True)
    usable = total > 0 if clip_negative else np.abs(total) > 1e-12
    uniform = valid / np.maximum(valid.sum(axis=1, keepdims=True), 1)
    return np.where(usable, s / np.where(usable, total, 1.0), uniform).astype(np.float32)


def softmax_weights(sims: np.ndarray, valid: np.ndarray, tau: float) -> np.ndarray:
    """softmax(s / tau) over the valid neighbours; a row with none gets zeros (not NaN)."""
    z = np.where(valid, sims / tau, -np.inf)
    peak = z.max(axis=1, keepdims=True)
    e = np.where(valid, np.exp(z - np.where(np.isfinite(peak), peak, 0.0)), 0.0)
    total = e.sum(axis=1, keepdims=True)
    return (e / np.where(total > 0, total, 1.0)).astype(np.float32)


def sparsemax_weights(sims: np.ndarray, valid: np.ndarray, tau: float) -> np.ndarray:
    """Sparsemax (Martins & Astudillo 2016): Euclidean projection onto the simplex; a row
    with no valid neighbour gets zeros."""
    z = np.where(valid, sims / tau, -np.inf)
    order = -np.sort(-z, axis=1)
    finite = np.isfinite(order)
    cumulative = np.cumsum(np.where(finite, order, 0.0), axis=1)
    ranks = np.arange(1, z.shape[1] + 1, dtype=np.float64)
    support = finite & (1 + ranks * order > cumulative)
    k_z = np.maximum(support.sum(axis=1, keepdims=True), 1)
    threshold = (np.take_along_axis(cumulative, k_z - 1, axis=1) - 1) / k_z
    return np.maximum(np.where(valid, z - threshold, 0.0), 0.0).astype(np.float32)


def weights_for(
    sims: np.ndarray, valid: np.ndarray, weighting: str, tau: float, clip_negative: bool = True
) -> np.ndarray:
    if weighting == "standard":
        return standard_weights(sims, valid, clip_negative)
    if weighting == "softmax":
        return softmax_weights(sims, valid, tau)
    if weighting == "sparsemax":
        return sparsemax_weights(sims, valid, tau)
    raise PipelineInputError(f"unknown weighting {weighting!r}: use {WEIGHTINGS}")


# --------------------------------------------------------------------------- search


def topk_search(
    queries_n: np.ndarray, anchors_n: np.ndarray, k: int, backend: str, fp16: bool = False, gpu_resources=None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k inner products of normalised rows: (similarities, anchor indices; -1 = none)."""
    faiss = load_faiss()
    if backend == "faiss-gpu":
        xq, xb = (queries_n.astype(np.float16), anchors_n.astype(np.float16)) if fp16 else (queries_n, anchors_n)
        return faiss.knn_gpu(gpu_resources, xq, xb, k, metric=faiss.METRIC_INNER_PRODUCT)
    if backend == "faiss-cpu":
        return faiss.knn(queries_n, anchors_n, k, metric=faiss.METRIC_INNER_PRODUCT)
    if backend == "matmul":
        import torch

        sims = torch.from_numpy(queries_n) @ torch.from_numpy(anchors_n).T
        values, indices = torch.topk(sims, k, dim=1)
        return values.numpy(), indices.numpy()
    raise PipelineInputError(f"unknown search backend {backend!r}: use auto, faiss-cpu, faiss-gpu, matmul")


def resolve_backend(requested: str, k: int) -> str:
    """'auto' is faiss-gpu when a GPU and faiss-gpu are present, else faiss-cpu; k above
    the GPU limit uses the GPU only for nothing and falls back to faiss-cpu."""
    if requested == "auto":
        return "faiss-gpu" if gpu_available() and k <= GPU_MAX_K else "faiss-cpu"
    if requested == "faiss-gpu" and not gpu_available():
        log.warning("faiss-gpu requested but no GPU/faiss-gpu here: using faiss-cpu")
        return "faiss-cpu"
    if requested == "faiss-gpu" and k > GPU_MAX_K:
        log.warning("k=%d exceeds the GPU limit %d: using faiss-cpu", k, GPU_MAX_K)
        return "faiss-cpu"
    return requested


@dataclass
class Neighbours:
    """Sparse weights: row i mixes anchors indices[i] with weights[i] (index -1: none)."""

    indices: np.ndarray  # (n, k) int32
    weights: np.ndarray  # (n, k) float32

    def combine(self, anchor_rows: np.ndarray) -> np.ndarray:
        """F = W @ anchor_rows with W sparse (k weights per row): torch's embedding_bag sums
        each row's k anchor rows times their weights without gathering an (n, k, d) block
        (2x faster than a sparse CSR product here, 5x than scipy), in one call that writes
        the output in place (the indices are a fifteenth of its size). Index -1 has weight 0."""
        import torch

        table = torch.from_numpy(np.ascontiguousarray(anchor_rows, dtype=np.float32))
        idx = torch.from_numpy(np.maximum(self.indices, 0).astype(np.int32, copy=False))
        weights = torch.from_numpy(np.ascontiguousarray(self.weights, dtype=np.float32))
        mixed = torch.nn.functional.embedding_bag(idx, table, per_sample_weights=weights, mode="sum")
        return mixed.numpy()


@dataclass
class TargetRows:
    """A construction's rows for the target words the pipeline reads (transfer.words_read:
    the words of the configured datasets and of the dictionary), keyed by their vector
    vocabulary rows; relative builds with a numeric k keep each row's neighbours too (the
    -tuned variant remixes them). Each row is computed exactly as in a build over the
    whole vocabulary, which no step reads: 2.5M x 768 float32 would be 7.7 GB a build."""

    vocab_rows: np.ndarray  # (n,) int64, ascending
    rows: np.ndarray  # (n, d) float32
    neighbours: Neighbours | None = None

    def positions(self, vocab_rows, source: str = "") -> np.ndarray:
        wanted = np.asarray(vocab_rows, dtype=np.int64)
        found = np.searchsorted(self.vocab_rows, wanted)
        inside = found < len(self.vocab_rows)
        inside[inside] = self.vocab_rows[found[inside]] == wanted[inside]
        if not inside.all():
            raise PipelineInputError(
                f"{source or 'target rows'}: {int((~inside).sum())} vocabulary rows were not built "
                f"(first: {int(wanted[~inside][0])}); the words-read list changed after this build: rerun it"
            )
        return found

    def contains(self, vocab_rows) -> np.ndarray:
        """Which of these vocabulary rows were built (a dictionary-only build has no row for
        a word without a translation)."""
        return np.isin(np.asarray(vocab_rows, dtype=np.int64), self.vocab_rows)

    def at(self, vocab_rows, source: str = "") -> np.ndarray:
        return np.asarray(self.rows[self.positions(vocab_rows, source)], dtype=np.float32)

    def neighbours_at(self, vocab_rows, source: str = "") -> Neighbours:
        if self.neighbours is None:
            raise PipelineInputError(
                f"{source or 'target rows'}: no neighbours stored (k = all, or not a relative build); "
                "the -tuned variant needs a relative build with a numeric k"
            )
        where = self.positions(vocab_rows, source)
        return Neighbours(self.neighbours.indices[where], self.neighbours.weights[where])

    def save(self, path) -> None:
        arrays = {"vocab_rows": self.vocab_rows, "rows": self.rows}
        if self.neighbours is not None:
            arrays |= {"indices": self.neighbours.indices, "weights": self.neighbours.weights}
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, path) -> TargetRows:
        stored = np.load(path)
        for key in ("vocab_rows", "rows"):
            if key not in stored:
                raise PipelineInputError(f"{path}: no {key!r} array; rebuild it with this version of the pipeline")
        neighbours = Neighbours(stored["indices"], stored["weights"]) if "indices" in stored else None
        return cls(stored["vocab_rows"], stored["rows"], neighbours)


@dataclass(frozen=True)
class Settings:
    """How relative representations become weights: top-k (an int or "all"), weighting,
    temperature, the standard weighting's clipping of negative cosines (a GAP), and the
    search (backend, float16 on the GPU, query rows per chunk)."""

    k: int | str = 50
    weighting: str = "standard"
    tau: float = 0.1
    clip_negative: bool = True
    backend: str = "auto"
    fp16: bool = False
    chunk_rows: int = 16384

    @classmethod
    def from_config(cls, settings: dict, weighting: str, k: int | str) -> Settings:
        """From the config's relrep keys (schema-filled), a weighting and k (int or "all")."""
        return cls(
            k=k if k == "all" else int(k),
            weighting=weighting,
            tau=settings["tau"],
            clip_negative=settings.get("clip_negative", True),
            backend=settings.get("backend", "auto"),
            fp16=settings.get("fp16", False),
            chunk_rows=settings.get("chunk_rows", 16384),
        )


def _distinct_per_row(groups: np.ndarray) -> np.ndarray:
    ordered = np.sort(groups, axis=1)
    return 1 + (np.diff(ordered, axis=1) != 0).sum(axis=1)


@dataclass
class Search:
    """The top-k anchors of every query row as the search found them: raw inner products
    with the normalised anchors, anchor indices (-1: none) and each query's norm. Every
    weighting starts from it, so one search serves them all (rule search_target_neighbours)."""

    sims: np.ndarray  # (n, k) float32
    indices: np.ndarray  # (n, k) int32
    norms: np.ndarray  # (n,) float64
    backend: str

    def save(self, path) -> None:
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, sims=self.sims, indices=self.indices, norms=self.norms, backend=self.backend)

    @classmethod
    def load(cls, path) -> Search:
        stored = np.load(path)
        return cls(stored["sims"], stored["indices"], stored["norms"], str(stored["backend"]))


def _searched_chunks(queries, anchors_n, k, settings: Settings, backend, desc):
    """Per chunk of query rows: (start, raw similarities, anchor indices or None for all
    anchors, query norms as a column). A row's ranking does not depend on its own norm: the
    search runs on the raw rows (no normalised copy of the chunk)."""
    gpu_resources = None
    if backend == "faiss-gpu":
        faiss = load_faiss()
        gpu_resources = faiss.StandardGpuResources()  # one per process
    for start in progress(range(0, queries.shape[0], settings.chunk_rows), desc=desc, unit="chunk"):
        q = np.ascontiguousarray(queries[start : start + settings.chunk_rows], dtype=np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", q, q, dtype=np.float64))[:, None]
        if k is None:  # every anchor
            yield start, q @ anchors_n.T, None, norms
        else:
            yield start, *topk_search(q, anchors_n, k, backend, settings.fp16, gpu_resources), norms


def search_neighbours(queries: np.ndarray, anchors: np.ndarray, settings: Settings, desc: str = "search") -> Search:
    """The top-k search alone (numeric k, clamped to |A|), for `relative_neighbours(found=)`."""
    k_eff = min(int(settings.k), anchors.shape[0])
    backend = resolve_backend(settings.backend, k_eff)
    n = queries.shape[0]
    found = Search(np.empty((n, k_eff), dtype=np.float32), np.empty((n, k_eff), dtype=np.int32), np.empty(n), backend)
    for start, sims, idx, norms in _searched_chunks(queries, normalized(anchors), k_eff, settings, backend, desc):
        found.sims[start : start + len(sims)] = sims
        found.indices[start : start + len(sims)] = idx
        found.norms[start : start + len(sims)] = norms[:, 0]
    return found


def _weighted_chunks(queries, anchors_n, k, settings: Settings, backend, desc, anchor_groups=None, found=None):
    """Per chunk of query rows: (start, weights, anchor indices or None for all anchors),
    and running stats. Only one chunk's similarities are ever held. `anchor_groups` (one
    id per anchor, e.g. its English token) counts distinct groups among the neighbours:
    polysemous English words repeat across anchors and lower the effective k. `found`: a
    Search of these queries, read instead of searching (the same numbers)."""
    totals = {"covered": 0, "entropy": 0.0, "nonzero": 0, "distinct": 0, "distinct_weighted": 0}
    step = settings.chunk_rows
    if found is None:
        chunks = _searched_chunks(queries, anchors_n, k, settings, backend, desc)
    else:
        chunks = (
            (start, found.sims[start : start + step], found.indices[start : start + step],
             found.norms[start : start + step, None])
            for start in range(0, queries.shape[0], step)
        )  # fmt: skip
    for start, sims, idx, norms in chunks:
        sims = sims / np.where(norms > 0, norms, 1.0)
        valid = np.ones_like(sims, dtype=bool) if idx is None else idx >= 0
        valid &= norms > 0  # a zero vector has no neighbour
        w = weights_for(sims.astype(np.float64), valid, settings.weighting, settings.tau, settings.clip_negative)
        totals["covered"] += int(((sims > 0) & valid).any(axis=1).sum())
        totals["nonzero"] += int((w > 0).sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            totals["entropy"] += float(-(np.where(w > 0, w * np.log(w), 0.0)).sum())
        if anchor_groups is not None and idx is not None:
            groups = np.where(valid, anchor_groups[np.maximum(idx, 0)], -1)
            totals["distinct"] += int((_distinct_per_row(groups) - (~valid).any(axis=1)).sum())
            weighted = np.where(w > 0, groups, -1)
            totals["distinct_weighted"] += int((_distinct_per_row(weighted) - (w <= 0).any(axis=1)).sum())
        yield start, w, idx, totals


def _stats(n, n_anchors, k, settings: Settings, backend, totals, anchor_groups=None) -> dict:
    stats = {
        "rows": n,
        "anchors": n_anchors,
        "k": k,
        "weighting": settings.weighting,
        "tau": settings.tau if settings.weighting != "standard" else None,
        "clip_negative": settings.clip_negative if settings.weighting == "standard" else None,
        "backend": backend,
        "fp16": bool(settings.fp16 and backend == "faiss-gpu"),
        "rows_with_positive_neighbour": totals["covered"],
        "coverage": totals["covered"] / max(n, 1),
        "mean_weight_entropy": totals["entropy"] / max(n, 1),
        "mean_nonzero_weights": totals["nonzero"] / max(n, 1),
    }
    if anchor_groups is not None:
        stats["distinct_english_anchors"] = int(len(np.unique(anchor_groups)))
        if k != "all":
            stats["mean_distinct_english_neighbours"] = totals["distinct"] / max(n, 1)
            stats["mean_effective_k"] = totals["distinct_weighted"] / max(n, 1)
    return stats


def relative_neighbours(
    queries: np.ndarray,
    anchors: np.ndarray,
    settings: Settings,
    desc: str = "relative representations",
    anchor_groups: np.ndarray | None = None,
    found: Search | None = None,
) -> tuple[Neighbours, dict]:
    """Top-k anchor weights for every query row (k above |A| is clamped to |A|), from a
    new search or from `found` (search_neighbours of the same queries, anchors and k)."""
    n_anchors = anchors.shape[0]
    k_eff = min(int(settings.k), n_anchors)
    backend = resolve_backend(settings.backend, k_eff) if found is None else found.backend
    n = queries.shape[0]
    if found is not None and found.indices.shape != (n, k_eff):
        raise PipelineInputError(
            f"the stored search holds {found.indices.shape[0]} rows x {found.indices.shape[1]} neighbours, "
            f"this build needs {n} x {k_eff}: rerun rule search_target_neighbours"
        )
    indices = np.empty((n, k_eff), dtype=np.int32)
    weights = np.empty((n, k_eff), dtype=np.float32)
    totals: dict = {}
    chunks = _weighted_chunks(queries, normalized(anchors), k_eff, settings, backend, desc, anchor_groups, found)
    for start, w, idx, totals in chunks:  # noqa: B007 (totals: the running stats after the last chunk)
        weights[start : start + len(w)] = w
        indices[start : start + len(w)] = idx
    return Neighbours(indices, weights), _stats(n, n_anchors, k_eff, settings, backend, totals, anchor_groups)


def stitch(
    queries: np.ndarray,
    anchors: np.ndarray,
    anchor_rows: np.ndarray,
    settings: Settings,
    desc: str = "relative representations",
    anchor_groups: np.ndarray | None = None,
    keep: np.ndarray | None = None,
    found: Search | None = None,
) -> tuple[np.ndarray, Neighbours | None, dict]:
    """F (one row per query: its anchors' rows mixed by relative-representation weights),
    the sparse neighbours (None for k = "all"), and stats over every query. k = "all"
    weighs every anchor by a chunked matmul: the n x |A| weights are never held whole.

    `keep` (ascending query positions): return only those rows and neighbours. Every query
    is still searched in the same chunks, because BLAS and FAISS give a row different
    last bits in a batch of other rows: a kept row is bit for bit the whole build's row,
    whichever rows are kept. `found` (numeric k): the queries' stored search, weighed
    instead of searching again (one search serves every weighting)."""
    if settings.k != "all":
        weighted, stats = relative_neighbours(queries, anchors, settings, desc, anchor_groups, found)
        if keep is not None:
            weighted = Neighbours(weighted.indices[keep], weighted.weights[keep])
        return weighted.combine(anchor_rows), weighted, stats
    rows = np.asarray(anchor_rows, dtype=np.float32)
    kept = np.arange(queries.shape[0]) if keep is None else np.asarray(keep)
    out = np.empty((len(kept), rows.shape[1]), dtype=np.float32)
    totals: dict = {}
    chunks = _weighted_chunks(queries, normalized(anchors), None, settings, "matmul", desc, anchor_groups)
    for start, w, _, totals in chunks:  # noqa: B007 (totals: the running stats after the last chunk)
        lo, hi = np.searchsorted(kept, [start, start + len(w)])
        if hi > lo:  # the whole chunk's product, as in a whole build (see above)
            out[lo:hi] = (w @ rows)[kept[lo:hi] - start]
    return out, None, _stats(queries.shape[0], anchors.shape[0], "all", settings, "matmul", totals, anchor_groups)


# --------------------------------------------------------------------------- linear maps


def least_squares_map(target_anchor_vectors: np.ndarray, source_anchor_rows: np.ndarray) -> np.ndarray:
    """W minimising ||A_t W - A_s||_F (the paper's LS baseline)."""
    solution, *_ = np.linalg.lstsq(
        target_anchor_vectors.astype(np.float64), source_anchor_rows.astype(np.float64), rcond=None
    )
    return solution.astype(np.float32)


def orthogonal_map(target_anchor_vectors: np.ndarray, source_anchor_rows: np.ndarray) -> np.ndarray:
    """Semi-orthogonal W (d_t x d_s, d_t <= d_s) minimising ||A_t W - A_s||_F: W = U V^T
    from the SVD of A_t^T A_s (orthogonal Procrustes)."""
    u, _, vt = np.linalg.svd(
        target_anchor_vectors.astype(np.float64).T @ source_anchor_rows.astype(np.float64), full_matrices=False
    )
    return (u @ vt).astype(np.float32)


def procrustes_map(target_anchor_vectors: np.ndarray, source_anchor_rows: np.ndarray) -> np.ndarray:
    """Scaled semi-orthogonal W minimising ||s A_t W - A_s||_F: the orthogonal map times
    s = trace(S) / ||A_t||^2 (fastText and PLM norms differ)."""
    a_t = target_anchor_vectors.astype(np.float64)
    singular = np.linalg.svd(a_t.T @ source_anchor_rows.astype(np.float64), compute_uv=False)
    scale = singular.sum() / (a_t**2).sum()
    return (scale * orthogonal_map(target_anchor_vectors, source_anchor_rows)).astype(np.float32)


# --------------------------------------------------------------------------- diagnostics


def precision_at_k(
    queries: np.ndarray, candidates: np.ndarray, gold: list[set[int]], ks=(1, 5), normalize: bool = True
) -> dict:
    """Share of queries whose gold candidates include one of their k nearest (cosine).
    normalize=False: the rows are unit length already."""
    faiss = load_faiss()
    if len(gold) == 0:
        return {"pairs": 0} | {f"p@{k}": None for k in ks}
    if normalize:
        queries, candidates = normalized(queries), normalized(candidates)
    _, nearest = faiss.knn(queries, candidates, max(ks), metric=faiss.METRIC_INNER_PRODUCT)
    result: dict = {"pairs": len(gold)}
    for k in ks:
        result[f"p@{k}"] = sum(bool(set(nearest[i, :k].tolist()) & gold[i]) for i in range(len(gold))) / len(gold)
    return result


def lexicon_induction(
    target_query: np.ndarray,
    target_anchor_vecs: np.ndarray,
    source_candidates: np.ndarray,
    source_anchor_vecs: np.ndarray,
    gold: list[set[int]],
    ks=(1, 5),
) -> dict:
    """Precision@k of translating held-out target words to English PLM tokens by cosine
    of their relative representations (similarities to all anchors in their own space)."""
    faiss = load_faiss()
    if len(gold) == 0:
        return precision_at_k(target_query, source_candidates, gold, ks)
    rel_t = normalized(target_query) @ normalized(target_anchor_vecs).T
    rel_s = normalized(source_candidates) @ normalized(source_anchor_vecs).T
    faiss.normalize_L2(rel_t)  # fresh arrays: normalised in place (rel_s is candidates x anchors)
    faiss.normalize_L2(rel_s)
    return precision_at_k(rel_t, rel_s, gold, ks, normalize=False)
