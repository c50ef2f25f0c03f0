import numpy as np
import torch
from mosecrot import train, transfer


def test_split_words():
    assert transfer.split_words("L'eau, c'est 42 bien!", lowercase=True) == ["l'eau", ",", "c'est", "42", "bien", "!"]
    assert transfer.split_words("我爱 Paris", lowercase=False) == ["我", "爱", "Paris"]


def test_target_sentence_maps_to_expected_rows(minilm_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(minilm_dir)
    special_ids = transfer.special_token_ids(tokenizer)
    words = ["le", "chien", "aboie"]
    table, word_tokenizer = transfer.target_table(
        np.zeros((len(special_ids), 4)), special_ids, tokenizer, np.ones((3, 4)), words, lowercase=True, max_length=8
    )
    n = len(special_ids)
    cls, sep, unk = (
        special_ids.index(i) for i in (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.unk_token_id)
    )
    assert word_tokenizer(["Le chien miaule"]) == [[cls, n + 0, n + 1, unk, sep]]
    assert word_tokenizer.unknown_rate == 1 / 3 and table.shape == (n + 3, 4)
    assert word_tokenizer(["le " * 20])[0][-1] == sep and len(word_tokenizer(["le " * 20])[0]) == 8


def test_swap_replaces_the_embedding_layer(minilm_dir):
    model, tokenizer = train.load_classifier(minilm_dir, ["a", "b"])
    model.eval()
    ids = tokenizer(["hello world"], return_tensors="pt")
    before = model(**ids).logits.detach().clone()
    new_table = np.random.default_rng(0).standard_normal((10, 384)).astype(np.float32)
    train.set_input_embeddings(model, new_table)
    layer = model.get_input_embeddings()
    assert layer.weight.shape == (10, 384) and model.config.vocab_size == 10
    np.testing.assert_array_equal(layer.weight.detach().numpy(), new_table)
    after = model(input_ids=torch.tensor([[1, 2, 3]]), attention_mask=torch.ones(1, 3, dtype=torch.long)).logits
    assert not torch.allclose(before, after)
    # Same shape: copied in place, and the forward pass reads the new rows.
    model2, _ = train.load_classifier(minilm_dir, ["a", "b"])
    zeros = np.zeros(tuple(model2.get_input_embeddings().weight.shape), dtype=np.float32)
    train.set_input_embeddings(model2, zeros)
    assert float(model2.get_input_embeddings().weight.detach().abs().sum()) == 0.0


def test_average_vectors_and_lr():
    index = {"good": 0, "bad": 1}
    matrix = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    x, tokens, unknown = transfer.average_vectors(["good good", "bad unknown", "nothing"], index, matrix, True)
    np.testing.assert_allclose(x, [[1, 0], [0, 1], [0, 0]])
    assert (tokens, unknown) == (5, 2)
    model = transfer.logistic_regression(np.array([[1, 0], [0, 1]] * 5, dtype=float), ["pos", "neg"] * 5, seed=0)
    assert model.predict(np.array([[1.0, 0.0]])).tolist() == ["pos"]
