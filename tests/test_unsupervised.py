"""Dictionary-free alignment (mosecrot.unsupervised), against naive implementations on toy
spaces: CSLS with ties and hubs, the recovery of a rotated and locally re-ranked copy of a
space without any dictionary, and the failure flag on unrelated spaces."""

from __future__ import annotations

import numpy as np
import pytest
from mosecrot import unsupervised


def _naive_csls(x: np.ndarray, z: np.ndarray, k: int) -> np.ndarray:
    """The whole CSLS matrix, written out entry by entry from its definition."""
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    x, z = unit(x.astype(np.float64)), unit(z.astype(np.float64))
    cos = x @ z.T
    r_query = [np.mean(sorted(cos[i], reverse=True)[:k]) for i in range(len(x))]
    r_candidate = [np.mean(sorted(cos[:, j], reverse=True)[:k]) for j in range(len(z))]
    return np.array([[2 * cos[i, j] - r_query[i] - r_candidate[j] for j in range(len(z))] for i in range(len(x))])


def test_csls_against_its_definition_with_ties_and_a_hub():
    rng = np.random.default_rng(3)
    shared = rng.standard_normal(8)
    x = (rng.standard_normal((40, 8)) + 1.2 * shared).astype(np.float32)  # queries share a direction
    z = rng.standard_normal((30, 8)).astype(np.float32)
    z[7] = shared  # a hub: close to many queries at once
    z[12] = z[11]  # a tie: two identical candidates
    x[5] = z[11]  # a query whose nearest candidates tie exactly
    naive = _naive_csls(x, z, 5)
    index, score = unsupervised.csls_nearest(x, z, 5)
    np.testing.assert_allclose(score, naive.max(axis=1), atol=1e-5)
    for i, j in enumerate(index):  # the chosen candidate attains the row's best score
        assert naive[i, j] == pytest.approx(naive[i].max(), abs=1e-5)
    assert index[5] == 11  # of two tied candidates, the lower index
    # The hub is the plain cosine's nearest neighbour of more queries than CSLS lets it be.
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    plain = (unit(x) @ unit(z).T).argmax(axis=1)
    assert (plain == 7).sum() > (index == 7).sum()


def test_mutual_pairs_are_each_others_nearest():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((50, 6)).astype(np.float32)
    z = rng.standard_normal((45, 6)).astype(np.float32)
    naive = _naive_csls(x, z, 4)
    expected = {(i, int(naive[i].argmax())) for i in range(len(x)) if int(naive[:, naive[i].argmax()].argmax()) == i}
    assert {tuple(p) for p in unsupervised.mutual_pairs(x, z, 4).tolist()} == expected


def _toy_pair(seed: int = 0, words: int = 1500, dim: int = 40):
    """x: a space with a decaying spectrum and clusters (as real embeddings are anisotropic),
    rows in frequency order; z: the same words rotated, re-ranked within windows of 5 (a
    frequency list of another language orders them a little differently), and z_of[i] is
    the row of x's word i in z."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dim)) * 2
    x = centres[rng.integers(0, 20, words)] + rng.standard_normal((words, dim))
    x = (x * np.linspace(2.0, 0.3, dim)).astype(np.float32)
    rotation, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    order = np.argsort(np.arange(words) + rng.uniform(0, 5, words))  # z's row -> x's word
    z = (x[order] @ rotation).astype(np.float32)
    z_of = np.argsort(order)
    return x, z, z_of


def test_a_rotated_and_reranked_copy_is_recovered_without_a_dictionary():
    x, z, z_of = _toy_pair()
    init = unsupervised.similarity_init(x, z, n=1000, k=10)
    assert len(init) > 100 and (z_of[init[:, 0]] == init[:, 1]).mean() > 0.9  # the seed dictionary is right
    aligned = unsupervised.refine(x, z, init, steps=3, n=1500, k=10)
    nearest, _ = unsupervised.csls_nearest(x @ aligned.map, z, 10)
    assert (nearest == z_of).mean() >= 0.95  # P@1 over every word
    unrelated = unsupervised.unrelated_criterion(x, z, steps=3, n=1500, k=10)
    assert not unsupervised.failed(aligned, unrelated)


def test_unrelated_spaces_are_flagged_as_a_failed_alignment():
    x, _, _ = _toy_pair(seed=1)
    other, _, _ = _toy_pair(seed=2)  # the same kind of space, other words: nothing to align
    init = unsupervised.similarity_init(x, other, n=1000, k=10)
    aligned = unsupervised.refine(x, other, init, steps=3, n=1500, k=10)
    unrelated = unsupervised.unrelated_criterion(x, other, steps=3, n=1500, k=10)
    assert unsupervised.failed(aligned, unrelated)


def test_the_dense_csls_matrix_is_the_definition_with_ties_and_a_hub():
    rng = np.random.default_rng(5)
    shared = rng.standard_normal(8)
    x = (rng.standard_normal((35, 8)) + shared).astype(np.float32)
    z = rng.standard_normal((28, 8)).astype(np.float32)
    z[3], z[9] = shared, z[8]  # a hub and two identical candidates
    np.testing.assert_allclose(unsupervised.csls_matrix(x, z, 4), _naive_csls(x, z, 4), atol=1e-5)
    # Both directions from one product: CSLS is symmetric.
    np.testing.assert_allclose(unsupervised.csls_matrix(z, x, 4), _naive_csls(x, z, 4).T, atol=1e-5)
    # The criterion is the mean over queries of their best CSLS after the map.
    w = np.linalg.qr(rng.standard_normal((8, 8)))[0].astype(np.float32)
    expected = _naive_csls(x / np.linalg.norm(x, axis=1, keepdims=True) @ w, z, 4).max(axis=1).mean()
    assert unsupervised.criterion(x, z, w, n=35, k=4) == pytest.approx(expected, abs=1e-5)


def test_scoring_a_few_queries_measures_densities_in_the_whole_source_space():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((60, 6)).astype(np.float32)
    z = rng.standard_normal((50, 6)).astype(np.float32)
    few = [3, 17, 42]
    index, score = unsupervised.csls_nearest(x[few], z, 5, source=x)
    whole = _naive_csls(x, z, 5)
    np.testing.assert_array_equal(index, whole[few].argmax(axis=1))
    np.testing.assert_allclose(score, whole[few].max(axis=1), atol=1e-5)


def test_induce_recovers_a_rotated_and_permuted_space_with_frequency_ranks():
    """The whole dictionary-free procedure (centred spaces, similarity initialisation,
    refinement, the induced dictionary): a rotation of the same words, listed in another
    frequency order, is recovered (P@1 >= 0.95) and not flagged."""
    x, z, z_of = _toy_pair(seed=4)
    induced = unsupervised.induce(
        unsupervised.centred(x), unsupervised.centred(z), init_words=1000, steps=3, n=1500, k=10
    )
    assert not induced.failed and induced.init == "similarity" and induced.initial_pairs > 100
    nearest, _ = unsupervised.csls_nearest(unsupervised.centred(x) @ induced.alignment.map, unsupervised.centred(z))
    assert (nearest == z_of).mean() >= 0.95
    assert len(induced.pairs) > 1000 and (z_of[induced.pairs[:, 0]] == induced.pairs[:, 1]).mean() >= 0.95
    again = unsupervised.induce(unsupervised.centred(x), unsupervised.centred(z), init_words=1000, steps=3, n=1500)
    np.testing.assert_array_equal(again.alignment.map, induced.alignment.map)  # deterministic


def test_induce_flags_unrelated_spaces():
    x, _, _ = _toy_pair(seed=1)
    other, _, _ = _toy_pair(seed=2)
    induced = unsupervised.induce(
        unsupervised.centred(x), unsupervised.centred(other), init_words=1000, steps=3, n=1500, k=10
    )
    assert induced.failed and max(induced.alignment.criterion) < induced.unrelated + 0.05


def test_the_adversarial_map_is_deterministic_and_selected_by_its_criterion():
    """MUSE's game at toy size: the same seed gives the same W bitwise (and leaves torch's
    global generator alone); the W returned is the checkpoint with the best criterion, and
    it stays near orthogonal (beta pulls it back after each step)."""
    import torch
    from mosecrot import adversarial

    x, z, _ = _toy_pair(seed=5, words=600, dim=16)
    x, z = unsupervised.centred(x), unsupervised.centred(z)
    scored = []

    def criterion(w):
        scored.append(unsupervised.criterion(x, z, w, n=600, k=5))
        return scored[-1]

    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    options = dict(seed=3, iterations=40, checkpoints=4, hidden=64, batch_size=16)
    first, log = adversarial.adversarial_map(x, z, criterion, **options)
    assert torch.rand(1) == before  # the caller's generator is untouched
    second, _ = adversarial.adversarial_map(x, z, criterion, **options)
    np.testing.assert_array_equal(first, second)
    assert [entry["iteration"] for entry in log] == [0, 10, 20, 30, 40]
    best = max(log[1:], key=lambda entry: entry["criterion"])
    assert unsupervised.criterion(x, z, first, n=600, k=5) == pytest.approx(best["criterion"], abs=1e-6)
    assert all(entry["orthogonality"] < 0.5 for entry in log)
    assert all(0 <= entry["dis_accuracy"] <= 1 for entry in log[1:])
    with pytest.raises(ValueError, match="square"):
        adversarial.adversarial_map(x, z[:, :8], criterion)


def test_induce_with_the_adversarial_initialisation_records_its_checkpoints():
    x, z, _ = _toy_pair(seed=6, words=800, dim=16)
    induced = unsupervised.induce(
        unsupervised.centred(x),
        unsupervised.centred(z),
        init="adversarial",
        steps=2,
        n=800,
        adversarial={"iterations": 20, "checkpoints": 2, "hidden": 32},
    )
    assert induced.init == "adversarial" and [e["iteration"] for e in induced.adversarial_log] == [0, 10, 20]
    assert len(induced.alignment.criterion) >= 1
    with pytest.raises(ValueError, match="unknown initialisation"):
        unsupervised.induce(x, z, init="magic")


def _cache(directory, words, matrix):
    directory.mkdir(parents=True, exist_ok=True)
    np.save(directory / "vectors.npy", matrix.astype(np.float32))
    (directory / "vectors.vocab.txt").write_text("".join(f"{w}\n" for w in words), encoding="utf-8")
    return str(directory / "vectors.npy"), str(directory / "vectors.vocab.txt")


def _induce_stage(tmp_path, z_matrix, z_words, x_matrix, x_words, gold):
    from mosecrot import anchors, stages

    english = _cache(tmp_path / "en", z_words, z_matrix)
    target = _cache(tmp_path / "xx", x_words, x_matrix)
    heldout = tmp_path / "heldout.tsv"
    anchors.write_anchors(heldout, [anchors.Anchor(e, i, t, x_words.index(t)) for i, (e, t) in enumerate(gold)])
    out = tmp_path / "induced" / "xx"
    settings = {
        "init": "similarity",
        "words": 1500,
        "init_words": 1000,
        "refine_steps": 3,
        "refine_words": 1500,
        "csls_k": 10,
        "seed": 0,
        "failure_margin": 0.05,
    }
    stages.induce_dictionary(
        *target,
        *english,
        str(heldout),
        settings,
        str(out / "lexicon.tsv"),
        str(out / "map.npy"),
        str(out / "diagnostics.json"),
        str(out / "criterion.png"),
    )
    return out


def test_the_induce_rule_writes_a_lexicon_scored_on_the_held_out_gold(tmp_path, caplog):
    """Through the rule's stage function: the induced dictionary in the lexicon format that
    anchor selection reads, its held-out P@1 and precision from the real gold, no warning."""
    import json

    from mosecrot import lexicon

    x, z, z_of = _toy_pair(seed=7)
    x_words = [f"x{i}" for i in range(len(x))]
    z_words = [f"w{int(np.argsort(z_of)[j])}" for j in range(len(z))]  # z's row j is x's word argsort(z_of)[j]
    gold = [(f"w{i}", f"x{i}") for i in range(0, 1500, 50)]
    with caplog.at_level("WARNING"):
        out = _induce_stage(tmp_path, z, z_words, x, x_words, gold)
    pairs = lexicon.read_lexicon_tsv(out / "lexicon.tsv")
    assert len(pairs) > 1000 and np.mean([e[1:] == t[1:] for e, t in pairs]) >= 0.95
    found = json.loads((out / "diagnostics.json").read_text())
    assert not found["failed"] and found["induced_pairs"] == len(pairs)
    assert found["held_out"]["translated"] == len(gold) and found["held_out"]["p@1"] >= 0.95
    assert found["held_out"]["induced_pair_precision"] >= 0.95
    assert (out / "criterion.png").stat().st_size > 5000 and "FAILED" not in caplog.text


def test_a_failed_alignment_warns_in_the_log_and_in_the_findings(tmp_path, caplog):
    import json

    from mosecrot.analysis import alignments

    x, _, _ = _toy_pair(seed=1)
    other, _, _ = _toy_pair(seed=2)
    words = [f"x{i}" for i in range(len(x))]
    with caplog.at_level("WARNING"):
        out = _induce_stage(tmp_path, other, [f"w{i}" for i in range(len(other))], x, words, [("w1", "x1")])
    assert "THE DICTIONARY-FREE ALIGNMENT FAILED" in caplog.text and "xx" in caplog.text
    found = json.loads((out / "diagnostics.json").read_text())
    assert found["failed"]
    diagnostics = {("xx", alignments.INDUCED): found}
    warnings = alignments.failed_alignment_warnings(diagnostics)
    assert len(warnings) == 1 and "xx failed" in warnings[0] and "noise" in warnings[0]
    table = "\n".join(alignments.alignments_markdown(diagnostics))
    assert "**FAILED**" in table and "| xx | similarity |" in table
    assert not alignments.failed_alignment_warnings({("xx", alignments.INDUCED): {**found, "failed": False}})
