"""Dictionary-free alignment of two static spaces (issue 26; rule induce_dictionary, and the
refinement of the dictionary alignment in rule align_static_spaces).

- csls_nearest: each query's nearest candidate under cross-domain similarity local scaling
  (Conneau et al. 2018, MUSE): CSLS(x, z) = 2 cos(x, z) - r_Z(x) - r_X(z), where r_Z(x) is
  the mean cosine of x's k nearest candidates and r_X(z) that of z's k nearest queries. It
  penalises hubs, candidates near everything.
- mutual_pairs: the pairs that are each other's CSLS nearest neighbour (an induced dictionary).
- similarity_init: after VecMap's unsupervised initialisation (Artetxe et al. 2018): words
  with the same distribution of similarities to the other frequent words of their own space
  are paired, which needs no dictionary and no shared dimensions (rotations preserve
  similarities). Unlike VecMap, each word's sorted similarities are centred per word (VecMap
  centres each dimension) and the pairs are mutual nearest neighbours (VecMap keeps both
  directions' neighbours).
- refine: Procrustes on the induced pairs, induce again, repeat (MUSE's refinement; VecMap's
  self-learning without its stochastic dictionary induction), keeping the step with the
  best unsupervised criterion: the mean CSLS score of the frequent source words' nearest
  targets (MUSE selects by the mean cosine of those pairs instead).
- failed: whether an alignment is no better than one of unrelated spaces, so nobody reads
  noise as a result.

Rows are L2-normalised throughout (cosine geometry); searches run in chunks of rows.
"""

from __future__ import annotations

from collections.abc import Callable
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


def csls_nearest(
    queries: np.ndarray, candidates: np.ndarray, k: int = 10, source: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(index, CSLS score) of each query's CSLS-nearest candidate. Ties go to the lowest
    candidate index (argmax), so the result does not depend on the chunking. `source`: the
    whole source space the queries come from (default: the queries), among which each
    candidate's neighbourhood density is measured, so that scoring a few queries ranks
    as translating the whole space does."""
    x, z = relrep.normalized(queries), relrep.normalized(candidates)
    r_x = _mean_top_k(x, z, k)  # each query's neighbourhood density among the candidates
    r_z = _mean_top_k(z, x if source is None else relrep.normalized(source), k)  # each candidate's
    index = np.empty(len(x), dtype=np.int64)
    score = np.empty(len(x), dtype=np.float32)
    for start in range(0, len(x), CHUNK):
        scores = 2 * (x[start : start + CHUNK] @ z.T) - r_z[None, :]
        best = scores.argmax(axis=1)
        index[start : start + CHUNK] = best
        score[start : start + CHUNK] = scores[np.arange(len(best)), best] - r_x[start : start + CHUNK]
    return index, score


def csls_matrix(queries: np.ndarray, candidates: np.ndarray, k: int = 10) -> np.ndarray:
    """The dense CSLS matrix of two row sets, each the other's neighbourhood (one product
    serves both directions: CSLS is symmetric). For the frequent words only: it holds
    len(queries) x len(candidates) floats."""
    x, z = relrep.normalized(queries), relrep.normalized(candidates)
    scores = x @ z.T
    k_x, k_z = min(k, len(z)), min(k, len(x))
    r_x = np.partition(scores, -k_x, axis=1)[:, -k_x:].mean(axis=1)
    r_z = np.partition(scores.T, -k_z, axis=1)[:, -k_z:].mean(axis=1)
    scores *= 2
    scores -= r_x[:, None]
    scores -= r_z[None, :]
    return scores


def mutual_pairs(queries: np.ndarray, candidates: np.ndarray, k: int = 10) -> np.ndarray:
    """(n, 2) pairs (query row, candidate row) that are each other's CSLS nearest neighbour
    (ties to the lowest index)."""
    scores = csls_matrix(queries, candidates, k)
    forward, backward = scores.argmax(axis=1), scores.argmax(axis=0)
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
    initial_map: np.ndarray | None = None  # step 0's: the map fitted on the given pairs


def criterion(x: np.ndarray, z: np.ndarray, w: np.ndarray, n: int = 10000, k: int = 10) -> float:
    """The unsupervised model-selection criterion: the mean CSLS score of the n most frequent
    source words' CSLS-nearest targets after the map (MUSE's takes the mean cosine of the
    same pairs; the CSLS score also discounts hubs)."""
    return float(csls_matrix(relrep.normalized(x[:n]) @ w, z[:n], k).max(axis=1).mean())


def refine(
    x: np.ndarray,
    z: np.ndarray,
    pairs: np.ndarray,
    steps: int = 5,
    n: int = 10000,
    k: int = 10,
    fit: Callable[[np.ndarray, np.ndarray], np.ndarray] = relrep.orthogonal_map,
) -> Alignment:
    """Procrustes (or `fit`: e.g. relrep.least_squares_map between spaces of different
    dimensions) on `pairs`, then induce mutual CSLS pairs among the n most frequent rows
    after the map, and repeat `steps` times; keeps the map with the best criterion (step 0
    is the map fitted on the given pairs)."""
    xu, zu = relrep.normalized(x), relrep.normalized(z)
    best: Alignment | None = None
    initial: np.ndarray | None = None
    history: list[float] = []
    for step in range(steps + 1):
        w = fit(xu[pairs[:, 0]], zu[pairs[:, 1]])
        scores = csls_matrix(xu[:n] @ w, zu[:n], k)  # the criterion's and the next pairs'
        forward = scores.argmax(axis=1)
        history.append(float(scores[np.arange(len(forward)), forward].mean()))
        if step == 0:
            initial = w
        if best is None or history[-1] > best.criterion[best.best_step]:
            best = Alignment(w, pairs, history, step)
        backward = scores.argmax(axis=0)
        del scores
        rows = np.flatnonzero(backward[forward] == np.arange(len(forward)))
        pairs = np.stack([rows, forward[rows]], axis=1)
        if len(pairs) < 2:
            break
    best.criterion = history
    best.initial_map = initial
    return best


def unrelated_criterion(
    x: np.ndarray, z: np.ndarray, steps: int = 5, n: int = 10000, k: int = 10, seed: int = 0, init_words: int = 4000
):
    """The criterion the similarity-initialised procedure reaches on spaces that share
    nothing: z replaced by Gaussian rows of its shape (seeded; isotropic, where a real
    space is not). An alignment near it has found no structure."""
    noise = np.random.default_rng(seed).standard_normal(z.shape).astype(np.float32)
    init = similarity_init(x, noise, min(n, init_words), k)
    if len(init) < 2:
        return criterion(x, noise, np.eye(x.shape[1], noise.shape[1], dtype=np.float32), n, k)
    return max(refine(x, noise, init, steps, n, k).criterion)


def failed(alignment: Alignment, unrelated: float, margin: float = 0.05) -> bool:
    """True when the best criterion is within `margin` of the unrelated spaces' criterion."""
    return max(alignment.criterion) < unrelated + margin


@dataclass
class Induced:
    """A dictionary-free alignment: the refined alignment, the criterion unrelated spaces
    reach, whether it failed, the induced dictionary (mutual CSLS pairs after the kept map,
    rows of x and z) and the initial pairs' count."""

    alignment: Alignment
    unrelated: float
    failed: bool
    pairs: np.ndarray
    initial_pairs: int
    init: str
    adversarial_log: list[dict] = field(default_factory=list)  # init adversarial: per checkpoint


def centred(m: np.ndarray) -> np.ndarray:
    """Unit rows, centred, unit again (VecMap's and MUSE's normalisation)."""
    m = relrep.normalized(np.asarray(m, dtype=np.float32))
    return relrep.normalized(m - m.mean(axis=0))


def induce(
    x: np.ndarray,
    z: np.ndarray,
    init: str = "similarity",
    init_words: int = 4000,
    steps: int = 5,
    n: int = 10000,
    k: int = 10,
    seed: int = 0,
    margin: float = 0.05,
    adversarial: dict | None = None,
) -> Induced:
    """Align x onto z with no dictionary: an initial dictionary (init: 'similarity', VecMap's
    similarity distributions; or 'adversarial', the mutual CSLS pairs after MUSE/TreLM's
    adversarial map), then `refine`; the failure check against unrelated spaces; the induced
    dictionary among the n most frequent rows. Rows in frequency order; pass them centred."""
    adversarial_log: list[dict] = []
    if init == "similarity":
        start = similarity_init(x, z, init_words, k)
    elif init == "adversarial":
        from mosecrot import adversarial as adv

        w, adversarial_log = adv.adversarial_map(
            x, z, lambda m: criterion(x, z, m, n, k), seed=seed, **(adversarial or {})
        )
        start = mutual_pairs(relrep.normalized(x[:n]) @ w, z[:n], k)
    else:
        raise ValueError(f"unknown initialisation {init!r}: use similarity or adversarial")
    if len(start) < 2:
        identity = np.eye(x.shape[1], z.shape[1], dtype=np.float32)
        aligned = Alignment(identity, start, [criterion(x, z, identity, n, k)], 0)
    else:
        aligned = refine(x, z, start, steps, n, k)
    unrelated = unrelated_criterion(x, z, steps, n, k, seed, init_words)
    pairs = mutual_pairs(relrep.normalized(x[:n]) @ aligned.map, z[:n], k)
    return Induced(aligned, unrelated, failed(aligned, unrelated, margin), pairs, len(start), init, adversarial_log)
