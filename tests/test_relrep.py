from dataclasses import replace

import numpy as np
import pytest
from mosecrot import relrep
from mosecrot.io import PipelineInputError


def _valid(sims):
    return np.ones_like(sims, dtype=bool)


def test_toy_geometry_by_hand():
    """Two anchors at 0 and 90 degrees; a query at 30 degrees. cos = (0.866, 0.5):
    standard weights 0.866/1.366 and 0.5/1.366, so F = w1 * e1 + w2 * e2."""
    anchors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    query = np.array([[np.cos(np.pi / 6), np.sin(np.pi / 6)]], dtype=np.float32) * 3.0  # norm is irrelevant
    outputs = np.array([[10.0, 0.0, 0.0], [0.0, 20.0, 0.0]], dtype=np.float32)
    f, found, stats = relrep.stitch(query, anchors, outputs, relrep.Settings(k=2, backend="faiss-cpu"))
    w1, w2 = 0.8660254 / 1.3660254, 0.5 / 1.3660254
    np.testing.assert_allclose(f[0], [10 * w1, 20 * w2, 0.0], rtol=1e-5)
    assert found.indices.tolist() == [[0, 1]] and stats["coverage"] == 1.0


def test_standard_is_similarity_normalised_average(rng):
    sims = rng.uniform(0.1, 1.0, (7, 5))
    weights = relrep.standard_weights(sims, _valid(sims))
    np.testing.assert_allclose(weights, sims / sims.sum(axis=1, keepdims=True), rtol=1e-6)
    # tau cancels: scaling the similarities changes nothing
    np.testing.assert_allclose(relrep.standard_weights(sims / 0.07, _valid(sims)), weights, rtol=1e-6)


def test_standard_clips_negative_similarities():
    sims = np.array([[0.5, -0.5, 0.25], [-0.2, -0.3, -0.1]])
    weights = relrep.standard_weights(sims, _valid(sims))
    np.testing.assert_allclose(weights[0], [2 / 3, 0.0, 1 / 3], rtol=1e-6)
    np.testing.assert_allclose(weights[1], [1 / 3] * 3, rtol=1e-6)  # nothing positive: uniform


def test_softmax_matches_definition(rng):
    sims = rng.uniform(-1, 1, (4, 6))
    weights = relrep.softmax_weights(sims, _valid(sims), tau=0.1)
    expected = np.exp(sims / 0.1) / np.exp(sims / 0.1).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(weights, expected, rtol=1e-5)


def test_sparsemax_sums_to_one_and_is_sparse(rng):
    sims = rng.uniform(0, 1, (50, 20))
    weights = relrep.sparsemax_weights(sims, _valid(sims), tau=0.05)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    assert (weights == 0).mean() > 0.5 and (weights >= 0).all()
    # Martins & Astudillo, worked example: z = (1.0, 0.8, 0.1) -> (0.6, 0.4, 0.0)
    z = np.array([[1.0, 0.8, 0.1]])
    np.testing.assert_allclose(relrep.sparsemax_weights(z, _valid(z), tau=1.0), [[0.6, 0.4, 0.0]], atol=1e-6)


def test_invalid_neighbours_get_no_weight():
    sims = np.array([[0.9, 0.5, 0.1]])
    valid = np.array([[True, True, False]])
    for weighting in relrep.WEIGHTINGS:
        weights = relrep.weights_for(sims, valid, weighting, tau=0.5)
        assert weights[0, 2] == 0 and weights.sum() == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("backend", ["faiss-cpu", "matmul"])
def test_search_equals_numpy_brute_force(rng, backend):
    queries = rng.standard_normal((300, 16)).astype(np.float32)
    anchors = rng.standard_normal((80, 16)).astype(np.float32)
    qn, an = relrep.normalized(queries), relrep.normalized(anchors)
    sims, idx = relrep.topk_search(qn, an, 10, backend)
    brute = qn @ an.T
    expected_idx = np.argsort(-brute, axis=1)[:, :10]
    np.testing.assert_allclose(sims, np.take_along_axis(brute, expected_idx, axis=1), rtol=1e-4, atol=1e-5)
    assert (idx == expected_idx).mean() > 0.99  # ties may reorder


def test_chunked_build_equals_one_shot(rng):
    queries = rng.standard_normal((257, 12)).astype(np.float32)
    anchors = rng.standard_normal((40, 12)).astype(np.float32)
    outputs = rng.standard_normal((40, 6)).astype(np.float32)
    settings = relrep.Settings(k=7, weighting="softmax", tau=0.2)
    small, _ = relrep.relative_neighbours(queries, anchors, replace(settings, chunk_rows=50))
    whole, _ = relrep.relative_neighbours(queries, anchors, replace(settings, chunk_rows=10_000))
    np.testing.assert_allclose(small.combine(outputs), whole.combine(outputs), rtol=1e-5, atol=1e-6)
    expected = np.einsum("nk,nkd->nd", whole.weights, outputs[whole.indices])  # the definition, gathered
    np.testing.assert_allclose(whole.combine(outputs), expected, rtol=1e-5, atol=1e-5)
    missing = relrep.Neighbours(np.array([[3, -1], [-1, -1]], np.int32), np.array([[0.5, 0.0], [0.0, 0.0]], np.float32))
    np.testing.assert_array_equal(missing.combine(outputs), np.stack([0.5 * outputs[3], np.zeros(6, np.float32)]))


def test_one_stored_search_serves_every_weighting_with_the_same_numbers(rng, tmp_path):
    """search_neighbours once, saved and loaded, then weighed per weighting: bit for bit
    what each weighting's own search gives (a zero query included)."""
    queries = rng.standard_normal((300, 12)).astype(np.float32)
    queries[5] = 0
    anchors = rng.standard_normal((40, 12)).astype(np.float32)
    settings = relrep.Settings(k=7, chunk_rows=64, backend="faiss-cpu")
    relrep.search_neighbours(queries, anchors, settings).save(tmp_path / "search.npz")
    found = relrep.Search.load(tmp_path / "search.npz")
    for weighting in relrep.WEIGHTINGS:
        options = replace(settings, weighting=weighting)
        own, own_stats = relrep.relative_neighbours(queries, anchors, options)
        shared, shared_stats = relrep.relative_neighbours(queries, anchors, options, found=found)
        np.testing.assert_array_equal(shared.indices, own.indices)
        np.testing.assert_array_equal(shared.weights, own.weights)
        assert shared_stats == own_stats
    with pytest.raises(PipelineInputError, match="search_target_neighbours"):
        relrep.relative_neighbours(queries[:10], anchors, settings, found=found)


def test_k_all_uses_dense_weights_over_every_anchor(rng):
    queries = rng.standard_normal((30, 8)).astype(np.float32)
    anchors = rng.standard_normal((12, 8)).astype(np.float32)
    outputs = rng.standard_normal((12, 4)).astype(np.float32)
    settings = relrep.Settings(k="all", weighting="softmax", tau=0.5, chunk_rows=7)
    dense, found, stats = relrep.stitch(queries, anchors, outputs, settings)
    assert found is None and dense.shape == (30, 4) and stats["k"] == "all"
    top, _, _ = relrep.stitch(queries, anchors, outputs, replace(settings, k=12, backend="faiss-cpu"))
    np.testing.assert_allclose(dense, top, rtol=1e-4, atol=1e-5)


def test_zero_vector_query_has_no_neighbour():
    queries = np.array([[0.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    anchors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    found, stats = relrep.relative_neighbours(queries, anchors, relrep.Settings(k=2))
    assert found.weights[0].sum() == 0 and stats["rows_with_positive_neighbour"] == 1


def test_least_squares_and_procrustes_recover_a_known_map(rng):
    target = rng.standard_normal((200, 5))
    rotation, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    true_map = 2.5 * rotation[:5]  # scaled semi-orthogonal 5 -> 8
    source = target @ true_map
    np.testing.assert_allclose(relrep.least_squares_map(target, source), true_map, atol=1e-4)
    np.testing.assert_allclose(relrep.procrustes_map(target, source), true_map, atol=1e-4)


def test_lexicon_induction_on_identical_spaces(rng):
    space = rng.standard_normal((50, 10)).astype(np.float32)
    anchors = space[:20]
    result = relrep.lexicon_induction(space[30:40], anchors, space, anchors, [{30 + i} for i in range(10)])
    assert result["p@1"] == 1.0 and result["pairs"] == 10


@pytest.mark.gpu
@pytest.mark.skipif(not relrep.gpu_available(), reason="needs a CUDA GPU and faiss-gpu")
@pytest.mark.parametrize("fp16", [False, True])
def test_gpu_search_equals_cpu(rng, fp16):
    queries = relrep.normalized(rng.standard_normal((5000, 64)))
    anchors = relrep.normalized(rng.standard_normal((700, 64)))
    from mosecrot.blas import load_faiss

    faiss = load_faiss()
    cpu_sims, cpu_idx = relrep.topk_search(queries, anchors, 50, "faiss-cpu")
    gpu_sims, gpu_idx = relrep.topk_search(
        queries, anchors, 50, "faiss-gpu", fp16=fp16, gpu_resources=faiss.StandardGpuResources()
    )
    np.testing.assert_allclose(gpu_sims, cpu_sims, atol=2e-3 if fp16 else 1e-5)
    assert (gpu_idx[:, 0] == cpu_idx[:, 0]).mean() > (0.97 if fp16 else 0.999)


def test_gpu_request_falls_back_to_cpu_without_gpu(monkeypatch):
    monkeypatch.setattr(relrep, "gpu_available", lambda: False)
    assert relrep.resolve_backend("faiss-gpu", 50) == "faiss-cpu"
    assert relrep.resolve_backend("auto", 50) == "faiss-cpu"
    monkeypatch.setattr(relrep, "gpu_available", lambda: True)
    assert relrep.resolve_backend("auto", 50) == "faiss-gpu"
    assert relrep.resolve_backend("auto", 4096) == "faiss-cpu"  # above the GPU top-k limit


@pytest.mark.parametrize("weighting", relrep.WEIGHTINGS)
def test_a_row_without_valid_neighbour_gets_zero_weights(weighting):
    """Softmax used to give NaN here (exp(-inf - -inf)); every weighting must give zeros."""
    sims = np.array([[0.9, 0.5, 0.1], [0.3, 0.2, 0.1]])
    valid = np.array([[False, False, False], [True, True, False]])
    weights = relrep.weights_for(sims, valid, weighting, tau=0.1)
    assert np.isfinite(weights).all()
    assert (weights[0] == 0).all() and weights[1].sum() == pytest.approx(1.0, rel=1e-5) and weights[1, 2] == 0


def test_standard_weighting_without_clipping_normalises_raw_similarities():
    sims = np.array([[0.6, -0.2, 0.1]])
    weights = relrep.standard_weights(sims, _valid(sims), clip_negative=False)
    np.testing.assert_allclose(weights, sims / sims.sum(), rtol=1e-6)
    zero_sum = np.array([[0.2, -0.2]])
    np.testing.assert_allclose(relrep.standard_weights(zero_sum, _valid(zero_sum), clip_negative=False), [[0.5, 0.5]])


def test_effective_k_counts_distinct_english_words(rng):
    """Anchors 0-3 share one English word: a query whose neighbours are all of them has
    4 neighbours but one distinct English word."""
    anchors = np.array([[1.0, 0.0], [0.99, 0.1], [0.98, 0.2], [0.97, 0.25], [0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
    groups = np.array([7, 7, 7, 7, 8, 9])
    query = np.array([[1.0, 0.05]], dtype=np.float32)
    _, stats = relrep.relative_neighbours(
        query, anchors, relrep.Settings(k=4, backend="faiss-cpu"), anchor_groups=groups
    )
    assert stats["mean_distinct_english_neighbours"] == 1 and stats["distinct_english_anchors"] == 3
    _, stats = relrep.relative_neighbours(
        query, anchors, relrep.Settings(k=5, backend="faiss-cpu"), anchor_groups=groups
    )
    assert stats["mean_distinct_english_neighbours"] == 2
    assert stats["mean_effective_k"] == 2  # anchor 4 has cosine 0.05 > 0: a (tiny) nonzero weight


def test_orthogonal_map_recovers_an_exact_rotation(rng):
    rotation, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    source = rng.standard_normal((40, 6))
    np.testing.assert_allclose(relrep.orthogonal_map(source, source @ rotation), rotation, atol=1e-5)
