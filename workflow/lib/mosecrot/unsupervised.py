"""Dictionary-free alignment of two static spaces (issue 26, first part: the library only;
no rule reads it yet).

- csls_nearest: each query's nearest candidate under cross-domain similarity local scaling
  (Conneau et al. 2018, MUSE): CSLS(x, z) = 2 cos(x, z) - r_Z(x) - r_X(z), where r_Z(x) is
  the mean cosine of x's k nearest candidates and r_X(z) that of z's k nearest queries. It
  penalises hubs, candidates near everything.
- mutual_pairs: the pairs that are each other's CSLS nearest neighbour (an induced dictionary).
- similarity_init: VecMap's unsupervised initialisation (Artetxe et al. 2018): words with the
  same distribution of similarities to the other frequent words of their own space are paired,
  which needs no dictionary and no shared dimensions (rotations preserve similarities).
- refine: Procrustes on the induced pairs, induce again, repeat (MUSE's refinement and
  VecMap's self-learning), keeping the step with the best unsupervised criterion: the mean
  CSLS of the frequent source words' nearest targets.
- failed: whether an alignment is no better than one of unrelated spaces, so nobody reads
  noise as a result.

Rows are L2-normalised throughout (cosine geometry); searches run in chunks of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mosecrot import relrep

CHUNK = 4096


def _mean_top_k(queries: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """Per query row, the mean of its k largest cosines with the candidates."""
    k = min(k, len(candidates))
    out = np.empty(len(queries), dtype=np.float32)
    for start in range(0, len(queries), CHUNK):
        sims = queries[start : start + CHUNK] @ candidates.T
        out[start : start + CHUNK] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    return out


def csls_nearest(queries: np.ndarray, candidates: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(index, CSLS score) of each query's CSLS-nearest candidate. Ties go to the lowest
    candidate index (argmax), so the result does not depend on the chunking."""
    x, z = relrep.normalized(queries), relrep.normalized(candidates)
    r_x = _mean_top_k(x, z, k)  # each query's neighbourhood density among the candidates
    r_z = _mean_top_k(z, x, k)  # each candidate's among the queries
    index = np.empty(len(x), dtype=np.int64)
    score = np.empty(len(x), dtype=np.float32)
    for start in range(0, len(x), CHUNK):
        scores = 2 * (x[start : start + CHUNK] @ z.T) - r_z[None, :]
        best = scores.argmax(axis=1)
        index[start : start + CHUNK] = best
        score[start : start + CHUNK] = scores[np.arange(len(best)), best] - r_x[start : start + CHUNK]
    return index, score


def mutual_pairs(queries: np.ndarray, candidates: np.ndarray, k: int = 10) -> np.ndarray:
    """(n, 2) pairs (query row, candidate row) that are each other's CSLS nearest neighbour."""
    forward, _ = csls_nearest(queries, candidates, k)
    backward, _ = csls_nearest(candidates, queries, k)
    rows = np.flatnonzero(backward[forward] == np.arange(len(forward)))
    return np.stack([rows, forward[rows]], axis=1)


def similarity_init(x: np.ndarray, z: np.ndarray, n: int = 4000, k: int = 10) -> np.ndarray:
    """VecMap's unsupervised initial dictionary among the n most frequent rows of each space
    (rows in frequency order): each word is described by its sorted similarities to the
    others of its own space (the square root of the similarity matrix, as VecMap), rows
    centred and normalised; words are paired by mutual CSLS over these descriptions."""
    x, z = relrep.normalized(x[:n]), relrep.normalized(z[:n])

    def described(m: np.ndarray) -> np.ndarray:
        u, s, vt = np.linalg.svd(m.astype(np.float64), full_matrices=False)
        sims = (u * s) @ u.T  # sqrt of m m^T: the same for any rotation of m
        sims = -np.sort(-sims, axis=1)
        sims -= sims.mean(axis=1, keepdims=True)
        return relrep.normalized(sims)

    return mutual_pairs(described(x), described(z), k)


@dataclass
class Alignment:
    """An orthogonal map W (x @ W lands in z's space), the induced dictionary (pairs of
    rows), and the criterion after every refinement step (the step kept is the best)."""

    map: np.ndarray
    pairs: np.ndarray
    criterion: list[float] = field(default_factory=list)
    best_step: int = 0


def criterion(x: np.ndarray, z: np.ndarray, w: np.ndarray, n: int = 10000, k: int = 10) -> float:
    """MUSE's unsupervised model-selection criterion: the mean CSLS score of the n most
    frequent source words' CSLS-nearest targets after the map."""
    _, score = csls_nearest(relrep.normalized(x[:n]) @ w, z[:n], k)
    return float(score.mean())


def refine(x: np.ndarray, z: np.ndarray, pairs: np.ndarray, steps: int = 5, n: int = 10000, k: int = 10) -> Alignment:
    """Procrustes on `pairs`, then induce mutual CSLS pairs among the n most frequent rows
    after the map, and repeat `steps` times; keeps the map with the best criterion (step 0
    is the map fitted on the given pairs)."""
    xu, zu = relrep.normalized(x), relrep.normalized(z)
    best: Alignment | None = None
    history: list[float] = []
    for step in range(steps + 1):
        w = relrep.orthogonal_map(xu[pairs[:, 0]], zu[pairs[:, 1]])
        history.append(criterion(xu, zu, w, n, k))
        if best is None or history[-1] > best.criterion[best.best_step]:
            best = Alignment(w, pairs, history, step)
        pairs = mutual_pairs(xu[:n] @ w, zu[:n], k)
        if len(pairs) < 2:
            break
    best.criterion = history
    return best


def unrelated_criterion(x: np.ndarray, z: np.ndarray, steps: int = 5, n: int = 10000, k: int = 10, seed: int = 0):
    """The criterion the same procedure reaches on spaces that share nothing: z replaced by
    Gaussian rows of its shape (seeded). An alignment near it has found no structure."""
    noise = np.random.default_rng(seed).standard_normal(z.shape).astype(np.float32)
    init = similarity_init(x, noise, min(n, 4000), k)
    if len(init) < 2:
        return criterion(x, noise, np.eye(x.shape[1], noise.shape[1], dtype=np.float32), n, k)
    return max(refine(x, noise, init, steps, n, k).criterion)


def failed(alignment: Alignment, unrelated: float, margin: float = 0.05) -> bool:
    """True when the best criterion is within `margin` of the unrelated spaces' criterion."""
    return max(alignment.criterion) < unrelated + margin
