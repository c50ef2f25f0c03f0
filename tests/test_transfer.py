import unicodedata

import numpy as np
import pytest
import torch
from mosecrot import train, transfer


def test_default_splitting_follows_fasttext_wikipedia_preprocessing():
    """get-wikimedia.sh: lowercase, ’ -> ', apostrophes and hyphens split off, digits and
    colons deleted."""
    text = "L’heure qu'il est: 42 faire-part ÉTÉ!"
    assert transfer.Tokenization().split(text) == [
        "l",
        "'",
        "heure",
        "qu",
        "'",
        "il",
        "est",
        "faire",
        "-",
        "part",
        "été",
        "!",
    ]


def test_verse_text_loses_exactly_what_the_wikipedia_preprocessing_deletes():
    """Bible verses (Taxi1500) are full of colons, semicolons and quotes: the Wikipedia
    vectors have no ':' or ';' token (get-wikimedia.sh deletes them), so they must not become
    [UNK] inputs; “ ” became " there, and » is not deleted."""
    verse = "Und Gott sprach: „Es werde Licht“; und es ward Licht. Er sagte: “Ja” | «Amen» = *gut*"
    words = transfer.Tokenization.from_config({}).split(verse)
    assert words == (
        [
            "und",
            "gott",
            "sprach",
            "„",
            "es",
            "werde",
            "licht",
            '"',
            "und",
            "es",
            "ward",
            "licht",
            ".",
            "er",
            "sagte",
            '"',
            "ja",
            '"',
            "amen",
            "»",
            "gut",
        ]
    )
    assert not {":", ";", "=", "*", "|", "«", "“", "”"} & set(words)


def test_each_vector_source_has_its_preset():
    """The Common Crawl vectors (the nds mirror) are cased and keep digits and inner hyphens."""
    crawl = transfer.Tokenization.from_config({"preset": "fasttext-crawl"})
    assert crawl.split("Gott sprach: 3 Mal Sünn-Dag") == ["Gott", "sprach", ":", "3", "Mal", "Sünn-Dag"]
    assert crawl.record()["preset"] == "fasttext-crawl" and crawl.record()["deleted"] == ""
    overridden = transfer.Tokenization.from_config({"preset": "fasttext-crawl", "lowercase": True, "digits": None})
    assert overridden.split("Gott 3") == ["gott", "3"]
    with pytest.raises(ValueError, match="tokenization.preset"):
        transfer.Tokenization.from_config({"preset": "moses"})


def test_splitting_options():
    text = "L'heure 42 faire-part, ok?"
    keep = transfer.Tokenization(apostrophes="keep", hyphens="keep", digits="keep", punctuation="drop")
    assert keep.split(text) == ["l'heure", "42", "faire-part", "ok"]
    assert transfer.Tokenization(lowercase=False, punctuation="drop").split("Paris") == ["Paris"]
    decomposed = unicodedata.normalize("NFD", "été")
    assert transfer.Tokenization().split(decomposed) == ["été"]  # NFC first: one word, not letters + accents
    assert transfer.Tokenization(unicode="none", punctuation="drop").split(decomposed) != ["été"]
    with pytest.raises(ValueError, match="tokenization.digits"):
        transfer.Tokenization(digits="sometimes")


def test_chinese_characters_or_jieba_words():
    text = "我爱北京天安门"
    assert transfer.Tokenization().split(text) == list(text)
    assert transfer.Tokenization(segmenter="jieba").split(text) == ["我", "爱", "北京", "天安门"]
    assert transfer.Tokenization(segmenter="jieba").split("北京 Paris") == ["北京", "paris"]


def test_word_inputs_map_words_to_rows():
    special = {"cls": 101, "sep": 102, "pad": 0, "unk": 100, "mask": 103}
    special_ids = transfer.special_token_ids(special)
    rows = {"le": np.full(4, 1.0), "chien": np.full(4, 2.0)}
    split = transfer.Tokenization().split
    inputs = transfer.word_inputs(
        [split("Le chien miaule"), split("chien chien le " * 5)], rows, np.zeros((len(special_ids), 4)), special, 8
    )
    n = len(special_ids)
    cls, sep, unk = (special_ids.index(special[name]) for name in ("cls", "sep", "unk"))
    assert inputs.encoded[0] == [cls, n + 0, n + 1, unk, sep]
    assert len(inputs.encoded[1]) == 8 and inputs.encoded[1][-1] == sep  # truncated to max_length
    assert inputs.table.shape == (n + 2, 4) and (inputs.table[n + 1] == 2.0).all()
    # A punctuation mark the vectors do not know is left out, not read as [UNK].
    marked = transfer.word_inputs([split("Le chien « miaule » !")], rows, np.zeros((n, 4)), special, 16)
    assert (
        marked.encoded[0] == [cls, n + 0, n + 1, unk, sep] and marked.dropped_punctuation == 2
    )  # « is deleted before: » and !
    assert marked.words == 3 and marked.unknown == 1
    assert inputs.words == 18 and inputs.unknown == 1 and inputs.unknown_rate == 1 / 18


def test_swap_replaces_the_embedding_layer(minilm_dir):
    model, tokenizer = train.load_classifier(minilm_dir, ["a", "b"])
    model.eval()
    ids = tokenizer(["hello world"], return_tensors="pt")
    before = model(ids["input_ids"], ids["attention_mask"]).detach().clone()
    new_table = np.random.default_rng(0).standard_normal((10, 384)).astype(np.float32)
    train.set_input_embeddings(model, new_table)
    layer = model.get_input_embeddings()
    assert layer.weight.shape == (10, 384) and model.encoder.config.vocab_size == 10
    np.testing.assert_array_equal(layer.weight.detach().numpy(), new_table)
    after = model(torch.tensor([[1, 2, 3]]), torch.ones(1, 3, dtype=torch.long))
    assert not torch.allclose(before, after)
    # Same shape: copied in place, and the forward pass reads the new rows.
    model2, _ = train.load_classifier(minilm_dir, ["a", "b"])
    zeros = np.zeros(tuple(model2.get_input_embeddings().weight.shape), dtype=np.float32)
    train.set_input_embeddings(model2, zeros)
    assert float(model2.get_input_embeddings().weight.detach().abs().sum()) == 0.0


def test_average_vectors_and_lr():
    index = {"good": 0, "bad": 1}
    matrix = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    x, tokens, unknown = transfer.average_vectors([["good", "good"], ["bad", "unknown"], ["nothing"]], index, matrix)
    np.testing.assert_allclose(x, [[1, 0], [0, 1], [0, 0]])
    assert (tokens, unknown) == (5, 2) and x.dtype == np.float64
    model = transfer.logistic_regression(np.array([[1, 0], [0, 1]] * 5, dtype=float), ["pos", "neg"] * 5, seed=0)
    assert model.predict(np.array([[1.0, 0.0]])).tolist() == ["pos"]


def test_the_config_path_gives_the_nds_mirror_the_crawl_preset():
    """Through the schema's defaults: the paper config's nds vectors (the Hugging Face
    mirror, Common Crawl) are cased with digits kept; de keeps the Wikipedia preset."""
    from pathlib import Path

    import yaml
    from mosecrot import plan
    from snakemake.utils import validate

    root = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((root / "config/config.yaml").read_text())
    validate(config, str(root / "workflow/schemas/config.schema.yaml"), set_default=True)
    nds = transfer.Tokenization.from_config(plan.tokenization_settings(config["languages"]["nds"]["vectors"]))
    de = transfer.Tokenization.from_config(plan.tokenization_settings(config["languages"]["de"]["vectors"]))
    assert nds.split("Gott sä: 3 Mal") == ["Gott", "sä", ":", "3", "Mal"] and nds.preset == "fasttext-crawl"
    assert de.split("Gott sprach: 3 Mal") == ["gott", "sprach", "mal"] and de.preset == "fasttext-wiki"
    demo = yaml.safe_load((root / "config/demo.yaml").read_text())
    validate(demo, str(root / "workflow/schemas/config.schema.yaml"), set_default=True)
    fr = transfer.Tokenization.from_config(plan.tokenization_settings(demo["languages"]["fr"]["vectors"]))
    assert fr.punctuation == "drop" and fr.lowercase
