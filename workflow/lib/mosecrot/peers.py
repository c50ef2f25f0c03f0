"""Peer constructions of a target embedding table from static vectors, used zero-shot
with the English model fine-tuned on its original embeddings (like the LS baseline):

- WECHSEL (Minixhofer et al. 2022, CPJKU/wechsel): align the target static space to the
  English static space with orthogonal Procrustes on dictionary pairs; each target word
  is the softmax(cos / tau)-weighted mix of the PLM rows of its k nearest English words
  (whole PLM tokens with an English static vector) in the aligned space.
- FOCUS (Dobler & de Melo 2023) and CLP-Transfer (Ostendorff & Rehm 2023): target words
  spelled exactly like a whole PLM token keep that token's row (the overlap); every other
  word is a sparsemax (FOCUS) or similarity-normalised (CLP) mix of the overlap's rows,
  weighted by similarity in the target static space. No dictionary.

The alignment also serves MoSECroT's aligned variant (rr-*-aligned).
"""

from __future__ import annotations

import numpy as np

from mosecrot import relrep


def english_static_rows(words: list[str], index: dict[str, int], matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """English static vectors of `words` (looked up lowercased, in the given order; static
    vocabularies are lowercase), zero rows where a word has none; and the mask of found."""
    rows = np.zeros((len(words), matrix.shape[1]), dtype=np.float32)
    found = np.zeros(len(words), dtype=bool)
    for i, word in enumerate(words):
        row = index.get(word.lower())
        if row is not None:
            rows[i] = matrix[row]
            found[i] = True
    return rows, found


def one_token_per_form(tokens: list[str]) -> np.ndarray:
    """Positions of the tokens to keep, one per lowercase form (the lowercase token where
    there is one, else the first). Static vocabularies are lowercase, so a cased PLM's "The"
    and "the" read the same vector and would tie as WECHSEL candidates."""
    forms: dict[str, int] = {}
    for i, token in enumerate(tokens):
        form = token.lower()
        if form not in forms or token == form:
            forms[form] = i
    return np.array(sorted(forms.values()), dtype=np.int64)


def align(target_vectors: np.ndarray, english_vectors: np.ndarray) -> np.ndarray:
    """Orthogonal W (d_t x d_e) with target @ W close to English, fitted on L2-normalised
    dictionary pairs (cosine geometry is what the later searches use)."""
    return relrep.orthogonal_map(relrep.normalized(target_vectors), relrep.normalized(english_vectors))


def wechsel_rows(
    target_vectors: np.ndarray,
    mapping: np.ndarray,
    candidate_vectors: np.ndarray,
    candidate_rows: np.ndarray,
    settings: relrep.Settings,
    keep: np.ndarray | None = None,
) -> tuple[np.ndarray, dict]:
    """One PLM-width row per target word (at `keep`, ascending; default all):
    softmax(cos / tau) over its top-k English candidates in the aligned space, mixing the
    candidates' PLM rows."""
    aligned = np.asarray(target_vectors, dtype=np.float32) @ mapping
    rows, _, stats = relrep.stitch(
        aligned, candidate_vectors, candidate_rows, settings, "WECHSEL target words", keep=keep
    )
    return rows, stats


def focus_k(k: int | str | None, weighting: str) -> int | str:
    """Overlap words mixed per target word. null: as published, every one for CLP; 100 for
    FOCUS, whose sparsemax weights rarely keep 100 (the same rows, with a bounded search)."""
    if k is not None:
        return k
    return "all" if weighting == "clp" else 100


def focus_rows(
    target_words: list[str],
    target_vectors: np.ndarray,
    whole_words: dict[str, int],
    embeddings: np.ndarray,
    settings: relrep.Settings,
    keep: np.ndarray | None = None,
) -> tuple[np.ndarray, dict]:
    """Rows for the target words at `keep` (ascending vocabulary rows; default all):
    overlap words copy their PLM token's row; the others mix the overlap rows with weights
    from target-space similarities to the overlap words (`settings`). Every word is mixed
    as in a whole build and the kept rows returned (relrep.stitch's keep)."""
    overlap = [(row, whole_words[word]) for row, word in enumerate(target_words) if word in whole_words]
    if not overlap:
        raise ValueError("no target word is spelled like a whole PLM token: FOCUS has no overlap to start from")
    overlap_rows = np.array([row for row, _ in overlap])
    overlap_ids = np.array([token_id for _, token_id in overlap])
    keep = np.arange(len(target_words)) if keep is None else np.asarray(keep)
    copied = np.isin(keep, overlap_rows)
    rows = np.empty((len(keep), embeddings.shape[1]), dtype=np.float32)
    rows[copied] = embeddings[overlap_ids[np.searchsorted(overlap_rows, keep[copied])]]
    others = np.setdiff1d(np.arange(len(target_words)), overlap_rows)
    stats: dict = {"overlap": len(overlap), "mixed": len(others), "kept": len(keep)}
    if len(others):
        vectors = np.asarray(target_vectors, dtype=np.float32)
        mixed, _, mix_stats = relrep.stitch(
            vectors[others],
            vectors[overlap_rows],
            embeddings[overlap_ids],
            settings,
            desc="FOCUS target words",
            keep=np.searchsorted(others, keep[~copied]),
        )
        rows[~copied] = mixed
        stats["mix"] = mix_stats
    return rows, stats


def dictionary_rows(
    read: np.ndarray, translations: dict[int, list[list[int]]], embeddings: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The dictionary-only control (bilingual-dictionary initialisation in the embedding-
    transfer literature): a target word's row is the mean, over its English translations,
    of the mean PLM row of each translation's tokens. `read`: the vocabulary rows wanted;
    `translations`: vocabulary row -> token ids of each translation. Returns (vocabulary
    rows that have a translation, ascending; their rows): the others are unknown words."""
    kept = [int(row) for row in np.sort(read) if any(translations.get(int(row), []))]
    out = np.zeros((len(kept), embeddings.shape[1]), dtype=np.float32)
    for i, row in enumerate(kept):
        means = [embeddings[ids].mean(axis=0) for ids in translations[row] if ids]
        out[i] = np.mean(means, axis=0)
    return np.array(kept, dtype=np.int64), out
