"""WECHSEL, FOCUS/CLP and the static alignment, each against a naive computation."""

from __future__ import annotations

import numpy as np
import pytest
from mosecrot import peers, relrep


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_alignment_recovers_an_exact_rotation(rng):
    english = rng.standard_normal((50, 8)).astype(np.float32)
    rotation, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    target = (english @ rotation.T).astype(np.float32) * rng.uniform(0.5, 2.0, (50, 1)).astype(np.float32)
    mapping = peers.align(target, english)
    np.testing.assert_allclose(mapping, rotation, atol=1e-5)
    np.testing.assert_allclose(_unit(target @ mapping), _unit(english), atol=1e-5)


def test_english_static_rows_follow_the_given_order_with_repeated_words():
    index = {"check": 0, "bank": 1}
    matrix = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    rows, found = peers.english_static_rows(["check", "Bank", "check", "missing", "check"], index, matrix)
    np.testing.assert_array_equal(rows, [[1, 0], [0, 1], [1, 0], [0, 0], [1, 0]])
    assert found.tolist() == [True, True, True, False, True]


def test_wechsel_rows_are_softmax_mixes_of_the_nearest_english_words(rng):
    target = rng.standard_normal((30, 6)).astype(np.float32)
    mapping, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    candidates = rng.standard_normal((20, 6)).astype(np.float32)
    candidate_rows = rng.standard_normal((20, 5)).astype(np.float32)
    settings = relrep.Settings(k=4, weighting="softmax", tau=0.1, backend="faiss-cpu")
    rows, stats = peers.wechsel_rows(target, mapping.astype(np.float32), candidates, candidate_rows, settings)
    for i in range(30):  # the definition, one word at a time
        cos = _unit(target[i] @ mapping) @ _unit(candidates).T
        top = np.argsort(-cos)[:4]
        weights = np.exp(cos[top] / 0.1) / np.exp(cos[top] / 0.1).sum()
        np.testing.assert_allclose(rows[i], weights @ candidate_rows[top], rtol=1e-4, atol=1e-5)
    assert stats["k"] == 4
    keep = np.array([0, 7, 8, 29])  # the words read: their rows, bit for bit
    kept, _ = peers.wechsel_rows(target, mapping.astype(np.float32), candidates, candidate_rows, settings, keep)
    np.testing.assert_array_equal(kept, rows[keep])


def _sparsemax_by_bisection(z: np.ndarray) -> np.ndarray:
    low, high = z.min() - 1, z.max()
    for _ in range(200):
        threshold = (low + high) / 2
        if np.maximum(z - threshold, 0).sum() > 1:
            low = threshold
        else:
            high = threshold
    return np.maximum(z - (low + high) / 2, 0)


@pytest.mark.parametrize("weighting", ["sparsemax", "clp"])
def test_focus_copies_overlap_rows_and_mixes_the_rest(rng, weighting):
    words = ["chat", "chien", "maison", "arbre", "rouge", "soleil", "lune"]
    whole = {"chat": 11, "arbre": 12, "lune": 13, "dog": 14}  # PLM whole-word tokens
    vectors = rng.standard_normal((len(words), 5)).astype(np.float32)
    embeddings = rng.standard_normal((20, 4)).astype(np.float32)
    settings = relrep.Settings(
        k="all",
        weighting="sparsemax" if weighting == "sparsemax" else "standard",
        tau=1.0,
        clip_negative=False,
        backend="faiss-cpu",
    )
    rows, stats = peers.focus_rows(words, vectors, whole, embeddings, settings)
    assert stats["overlap"] == 3 and stats["mixed"] == 4
    for word, token_id in (("chat", 11), ("arbre", 12), ("lune", 13)):
        np.testing.assert_array_equal(rows[words.index(word)], embeddings[token_id])
    overlap = [words.index(w) for w in ("chat", "arbre", "lune")]
    for word in ("chien", "maison", "rouge", "soleil"):
        cos = _unit(vectors[words.index(word)]) @ _unit(vectors[overlap]).T
        weights = _sparsemax_by_bisection(cos) if weighting == "sparsemax" else cos / cos.sum()
        assert weights.sum() == pytest.approx(1.0, abs=1e-6)
        np.testing.assert_allclose(rows[words.index(word)], weights @ embeddings[[11, 12, 13]], rtol=1e-4, atol=1e-5)
    keep = np.array([0, 2, 3, 6])  # the words read (overlap and mixed ones): their rows, bit for bit
    kept, _ = peers.focus_rows(words, vectors, whole, embeddings, settings, keep)
    np.testing.assert_array_equal(kept, rows[keep])


def test_focus_without_overlap_is_an_error(rng):
    with pytest.raises(ValueError, match="no target word is spelled like a whole PLM token"):
        peers.focus_rows(["a"], np.ones((1, 2), dtype=np.float32), {"b": 0}, np.ones((1, 2)), relrep.Settings())


def test_a_cased_vocabulary_gives_wechsel_one_candidate_per_lowercase_form():
    from mosecrot import peers

    tokens = ["The", "the", "Paris", "apple", "APPLE", "Apple"]
    assert [tokens[i] for i in peers.one_token_per_form(tokens)] == ["the", "Paris", "apple"]


def test_clp_weights_every_overlapping_word_unless_told_otherwise():
    """Through the schema's default (null): CLP as published mixes every overlap word."""
    from pathlib import Path

    import yaml
    from mosecrot import peers
    from snakemake.utils import validate

    root = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((root / "config/demo.yaml").read_text())
    validate(config, str(root / "workflow/schemas/config.schema.yaml"), set_default=True)
    k = config["peers"]["focus"]["k"]
    assert peers.focus_k(k, "clp") == "all" and peers.focus_k(k, "sparsemax") == 100
    assert peers.focus_k(20, "clp") == 20
