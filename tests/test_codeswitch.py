"""Code-switched fine-tuning (codeswitch.py, train.finetune's switcher) against naive
reimplementations on toy sentences: which words are switched, at which rate, with which
rows; the frozen rows stay frozen; rate 0 is the plain run; the three-way dictionary split
is disjoint; the dictionary-only rows; and no target text or test sentence reaches training."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from conftest import TINY, run_snakemake
from mosecrot import codeswitch, peers, train
from mosecrot.anchors import Anchor
from test_train import _settings, _tiny_bert


def _table(translations: dict[str, list[int]], n_rows: int, width: int = 16, seed: int = 0):
    rows = np.random.default_rng(seed).normal(size=(n_rows, width)).astype(np.float32)
    return codeswitch.SwitchTable(translations, rows, [f"t{i}" for i in range(n_rows)])


# Toy sentences over a 40-token vocabulary: (word, its token ids). "lights" repeats, "set"
# has two translations, "off" one, "the" none; "Set" is looked up lowercased.
SENTENCES = [
    [("turn", [5]), ("off", [6]), ("the", [7]), ("lights", [8, 9])],
    [("Set", [10]), ("the", [7]), ("lights", [8, 9]), ("lights", [8, 9]), ("now", [11, 12, 13])],
    [("the", [7])],
    [],
]
TRANSLATIONS = {"off": [0], "set": [1, 2], "lights": [3]}


def _switcher(rate: float, translation: str = "random", max_length: int = 8, sentences=SENTENCES):
    return codeswitch.Switcher(
        pieces=sentences,
        table=_table(TRANSLATIONS, 4),
        rate=rate,
        base_rows=40,
        cls_id=1,
        sep_id=2,
        max_length=max_length,
        seed=3,
        translation=translation,
    )


def _naive_epoch(sentences, translations, rate, seed, epoch, translation, base, max_length):
    """The specification, written out: one uniform draw per switchable word occurrence in
    reading order; below the rate, the word becomes one extra row (a random translation:
    one more integer draw; or the first)."""
    rng = np.random.default_rng([seed, epoch, 0xC0DE])
    out = []
    for sentence in sentences:
        ids = []
        for word, tokens in sentence:
            options = translations.get(word.lower(), [])
            if options and rng.random() < rate:
                j = options[rng.integers(len(options))] if translation == "random" else options[0]
                ids.append(base + j)
            else:
                ids += tokens
        out.append([1] + ids[: max_length - 2] + [2])
    return out


@pytest.mark.parametrize("rate", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("translation", ["random", "first"])
def test_switching_matches_a_naive_reimplementation(rate, translation):
    switcher = _switcher(rate, translation)
    for epoch in (1, 2, 7):
        ids, counts = switcher.epoch(epoch)
        assert ids == _naive_epoch(SENTENCES, TRANSLATIONS, rate, 3, epoch, translation, 40, 8)
        assert counts["switchable"] == 5 and counts["words"] == 10
    assert switcher.epoch(2) == switcher.epoch(2)  # a resumed run switches the same words
    if rate == 0:  # no switch: the sentences' own ids, truncated to max_length
        assert ids == [[1, 5, 6, 7, 8, 9, 2], [1, 10, 7, 8, 9, 8, 9, 2], [1, 7, 2], [1, 2]]
    if rate == 1:
        first = 1 if translation == "first" else None
        assert ids[0] == [1, 5, 40, 7, 43, 2]
        assert ids[1][1] in (41, 42) and (first is None or ids[1][1] == 41) and ids[1][3:5] == [43, 43]


def test_the_switch_rate_and_the_translations_drawn():
    switcher = _switcher(0.3, "random")
    switched = switchable = 0
    picks = {40 + j: 0 for j in range(4)}
    for epoch in range(400):
        ids, counts = switcher.epoch(epoch)
        switched += counts["switched"]
        switchable += counts["switchable"]
        for row in ids:
            for i in row:
                if i >= 40:
                    picks[i] += 1
    share = switched / switchable
    assert abs(share - 0.3) < 3 * np.sqrt(0.3 * 0.7 / switchable)  # binomial, 3 sd
    assert picks[41] > 0 and picks[42] > 0 and abs(picks[41] - picks[42]) < 0.35 * (picks[41] + picks[42])
    assert all(switcher.epoch(0)[0][i][0] == 1 for i in range(4))


def test_word_pieces_join_into_the_tokenizers_own_ids(minilm_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir))
    texts = [
        "Turn off the lights in the living-room, please!",
        "What's the temperature in Zürich?",
        "set a timer for 10 minutes",
        " ".join(["pause"] * 40),  # truncated
        "",
    ]
    pieces = codeswitch.word_pieces(tokenizer, texts)
    switcher = codeswitch.Switcher(
        pieces, _table({}, 0, 384), 0.0, len(tokenizer), tokenizer.cls_token_id, tokenizer.sep_token_id, 12, seed=0
    )
    assert switcher.epoch(1)[0] == tokenizer(texts, truncation=True, max_length=12)["input_ids"]
    words = [word for word, _ in pieces[0]]
    assert words == ["Turn", "off", "the", "lights", "in", "the", "living", "-", "room", ",", "please", "!"]
    prefixed = codeswitch.word_pieces(tokenizer, texts[:1], prefix="query: ")[0]
    assert [word for word, _ in prefixed] == ["", ""] + words  # the prefix is never switched
    assert [i for _, ids in prefixed for i in ids] == tokenizer("query: " + texts[0], add_special_tokens=False)[
        "input_ids"
    ]


def test_switch_pairs_keep_held_out_words_out_and_can_avoid_anchors():
    index = {"eteindre": 0, "lumiere": 1, "Chat": 2, "chien": 3, "maison": 4, "rouge": 5}
    pairs = [
        ("off", "eteindre"),
        ("light", "lumiere"),
        ("light", "lumière"),  # no vector: dropped
        ("cat", "chat"),  # found as "Chat" through the casing order
        ("dog", "chien"),  # held-out target word
        ("Home", "maison"),  # held-out English word (any casing)
        ("house", "maison"),
        ("red", "rouge"),
        ("off", "eteindre"),  # a repeated pair is kept once
    ]
    held = [Anchor("home", 9, "chien", 3)]
    anchors = [Anchor("off", 7, "eteindre", 0), Anchor("kitty", 8, "Chat", 2)]
    allowed, stats = codeswitch.switch_pairs(pairs, index, ["exact", "title"], held)
    assert [(p.english, p.target) for p in allowed] == [
        ("off", "eteindre"),
        ("light", "lumiere"),
        ("cat", "Chat"),
        ("house", "maison"),
        ("red", "rouge"),
    ]
    assert stats["no_target_vector"] == 1 and stats["held_out_word"] == 2
    disjoint, stats = codeswitch.switch_pairs(pairs, index, ["exact", "title"], held, anchors)
    assert [(p.english, p.target) for p in disjoint] == [("light", "lumiere"), ("house", "maison"), ("red", "rouge")]
    for split in (allowed, disjoint):  # the three parts share no word
        assert not {p.english.lower() for p in split} & {a.english for a in held}
        assert not {p.target_row for p in split} & {a.target_row for a in held}
    assert not {p.english for p in disjoint} & {a.english for a in anchors}
    assert not {p.target_row for p in disjoint} & {a.target_row for a in anchors}


def test_switch_table_reads_only_rows_the_method_has():
    pairs = [
        codeswitch.SwitchPair("Set", "régler", 5),
        codeswitch.SwitchPair("set", "régler", 5),  # same word and row: one choice
        codeswitch.SwitchPair("set", "mettre", 2),
        codeswitch.SwitchPair("off", "éteint", 9),  # the method has no row for 9
    ]
    rows = np.arange(30, dtype=np.float32).reshape(10, 3)
    from mosecrot.relrep import TargetRows

    table = codeswitch.SwitchTable.build(pairs, TargetRows(np.array([2, 5]), rows[[2, 5]]))
    assert table.translations == {"set": [0, 1]}
    np.testing.assert_array_equal(table.rows, rows[[5, 2]])
    assert table.target_words == ["régler", "mettre"]


def _trained(switcher, freeze=False, **kwargs):
    from test_train import _data

    model = train.SequenceClassifier(_tiny_bert(0), 3, "mean")
    ids, labels = _data(24, 1)
    dev_ids, dev_labels = _data(8, 2)
    sentences = [[(f"w{i}", [i]) for i in row[1:-1]] for row in ids]
    if switcher is not None:
        switcher.pieces = sentences
    state, curve = train.finetune(
        model,
        ids,
        labels,
        dev_ids,
        dev_labels,
        0,
        _settings(freeze_embeddings=freeze, **kwargs),
        switcher=switcher,
    )
    return model, state, curve


def _word_switcher(rate: float):
    # Every toy word w<i> with i < 20 has translation extra row i % 3.
    translations = {f"w{i}": [i % 3] for i in range(20)}
    return codeswitch.Switcher([], _table(translations, 3), rate, 40, 1, 2, 32, seed=5)


def test_rate_zero_trains_exactly_the_plain_model():
    _, plain, plain_curve = _trained(None)
    _, switched, curve = _trained(_word_switcher(0.0))
    assert plain.keys() == switched.keys()
    for key in plain:
        assert torch.equal(plain[key], switched[key]), key
    assert [r["train_loss"] for r in curve] == [r["train_loss"] for r in plain_curve]
    assert all(r["codeswitched"]["switched"] == 0 and r["codeswitched"]["switchable"] > 0 for r in curve)


@pytest.mark.parametrize("freeze", [False, True])
def test_switched_rows_stay_frozen_and_leave_with_the_training(freeze):
    switcher = _word_switcher(0.5)
    before = switcher.table.rows.copy()
    model, state, curve = _trained(switcher, freeze=freeze)
    _, plain, _ = _trained(None, freeze=freeze)
    np.testing.assert_array_equal(switcher.table.rows, before)
    table = model.get_input_embeddings()
    assert type(table) is torch.nn.Embedding and table.weight.shape[0] == 40  # the plain table again
    assert not any(key.endswith(".extra") or ".table." in key for key in state)
    assert all(r["codeswitched"]["switched"] > 0 for r in curve)
    assert not torch.equal(state["head.weight"], plain["head.weight"])  # the switched words changed training
    if freeze:
        assert torch.equal(
            state["encoder.embeddings.word_embeddings.weight"], plain["encoder.embeddings.word_embeddings.weight"]
        )


def test_switched_batches_read_the_extra_rows_given():
    """The rows the body receives for switched ids are exactly the method's target rows."""
    switcher = _word_switcher(1.0)
    model = train.SequenceClassifier(_tiny_bert(0), 3, "mean")
    table = train.SwitchedEmbedding(model.get_input_embeddings(), switcher.table.rows)
    ids = torch.tensor([[1, 40, 7, 42, 2]])
    out = table(ids)
    np.testing.assert_array_equal(out[0, 1].detach().numpy(), switcher.table.rows[0])
    np.testing.assert_array_equal(out[0, 3].detach().numpy(), switcher.table.rows[2])
    assert torch.equal(out[0, 2], model.get_input_embeddings().weight[7])


def test_switched_training_resumes_with_the_same_numbers(tmp_path):
    _, uninterrupted, _ = _trained(_word_switcher(0.5))
    resume = tmp_path / "resume.pt"

    class Killed(Exception):
        pass

    def stop(epoch):
        if epoch == 2:
            raise Killed

    from test_train import _data

    ids, labels = _data(24, 1)
    dev_ids, dev_labels = _data(8, 2)
    switcher = _word_switcher(0.5)
    switcher.pieces = [[(f"w{i}", [i]) for i in row[1:-1]] for row in ids]

    def run(**kwargs):
        model = train.SequenceClassifier(_tiny_bert(0), 3, "mean")
        return train.finetune(
            model, ids, labels, dev_ids, dev_labels, 0, _settings(), resume_path=resume, switcher=switcher, **kwargs
        )

    with pytest.raises(Killed):
        run(on_epoch_end=stop)
    state, _ = run()
    for key in uninterrupted:
        assert torch.equal(uninterrupted[key], state[key]), key


def test_dictionary_rows_match_a_naive_mean():
    embeddings = np.random.default_rng(0).normal(size=(12, 4)).astype(np.float32)
    translations = {3: [[1, 2], [5]], 7: [[4]], 9: [[]], 2: [[6, 6, 8]]}
    read = np.array([9, 7, 3, 11, 2])
    kept, rows = peers.dictionary_rows(read, translations, embeddings)
    assert kept.tolist() == [2, 3, 7]  # 9: no token; 11: no translation (both unknown words)
    naive = {
        2: embeddings[[6, 6, 8]].mean(0),
        3: (embeddings[[1, 2]].mean(0) + embeddings[5]) / 2,
        7: embeddings[4],
    }
    for row, word in zip(rows, kept):
        np.testing.assert_allclose(row, naive[int(word)], rtol=1e-6)


def test_code_switched_fine_tuning_reads_no_target_text(tmp_path):
    """Snakemake's own plan of the tiny run: a -cs fine-tuning reads the English table, the
    dictionary pairs and the method's target rows, and no target-language table (the only
    files that hold target sentences, or test sentences of any language but English, whose
    table the stage reads for its train and dev splits only: the next test)."""
    result = run_snakemake(
        "--configfile", str(TINY), "--directory", str(tmp_path), "--dry-run",
        "results/tiny/models/intents/fr/rr-standard-cs/seed0", "results/tiny/models/intents/fr/wechsel-cs/seed0",
    )  # fmt: skip
    jobs = re.findall(r"rule finetune:\n\s+input: ([^\n]*)\n\s+output: ([^\n]*)", result.stdout)
    assert len(jobs) == 2
    for inputs, output in jobs:
        files = set(inputs.split(", "))
        assert {"results/tiny/data/intents/en.tsv", "results/tiny/codeswitch/fr/main-anchors.tsv"} <= files
        rows = "relrep/fr/standard-k20-main-plm/target.npz" if "rr-standard" in output else "peers/fr/wechsel.npz"
        assert f"results/tiny/{rows}" in files
        assert not [path for path in files if re.search(r"data/.*/fr\.tsv|/eval", path)], files


def test_the_english_sentences_trained_on_are_training_sentences_only(minilm_dir, tmp_path, monkeypatch):
    """The stage function reads the table's train split only: a marker in every dev and test
    sentence never reaches a training batch (dev only scores epochs), switched or not."""
    import pandas as pd
    from mosecrot import relrep
    from mosecrot.io import write_json
    from mosecrot.stages import finetune

    rows = []
    for i in range(24):
        label = ["on", "off"][i % 2]
        rows.append({"split": "train", "text": f"turn {label} the light number {i}", "label": label})
    for split in ("dev", "test"):
        rows += [
            {"split": split, "text": f"zebra turn {['on', 'off'][i % 2]}", "label": ["on", "off"][i % 2]}
            for i in range(4)
        ]
    table = tmp_path / "en.tsv"
    pd.DataFrame(rows).to_csv(table, sep="\t", index=False)
    write_json(tmp_path / "labels.json", ["off", "on"])
    pairs = tmp_path / "pairs.tsv"
    codeswitch.write_pairs(
        pairs, [codeswitch.SwitchPair("light", "lumière", 4), codeswitch.SwitchPair("zebra", "zèbre", 6)]
    )
    target = tmp_path / "target.npz"
    relrep.TargetRows(np.array([4, 6]), np.random.default_rng(0).normal(size=(2, 384)).astype(np.float32)).save(target)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir))
    zebra = set(tokenizer("zebra", add_special_tokens=False)["input_ids"])
    batches = []
    original = train.SwitchedEmbedding.forward

    def spy(self, ids):
        if self.training:
            batches.append(ids.clone())
        return original(self, ids)

    monkeypatch.setattr(train, "COMPACT_EMBEDDINGS", False)  # batches hold the tokenizer's own ids
    train.SwitchedEmbedding.forward = spy
    try:
        finetune(
            str(table), str(tmp_path / "labels.json"), str(minilm_dir), str(tmp_path / "model"),
            {"learning_rate": 1e-4, "epochs": 1, "batch_size": 8, "grad_accumulation": 1, "max_length": 16,
             "threads": 1, "codeswitch": {"rate": 1.0, "translation": "random"}},
            seed=0, switch_pairs=str(pairs), switch_rows=str(target),
        )  # fmt: skip
    finally:
        train.SwitchedEmbedding.forward = original
    seen = set(torch.cat([b.flatten() for b in batches]).tolist())
    assert len(batches) == 3  # 24 training sentences, batches of 8
    vocab = len(tokenizer)
    light = set(tokenizer("light", add_special_tokens=False)["input_ids"])
    assert vocab in seen and not light & seen  # rate 1: every "light" became extra row 0
    assert vocab + 1 not in seen and not zebra & seen  # "zebra" and its translation: dev and test only
    info = json.loads((tmp_path / "model" / "training.json").read_text())
    assert info["codeswitch"]["switchable_words_in_training_data"] == 1  # "light"; never "zebra"


def test_dictionary_rows_read_the_plms_own_tokens(minilm_dir, tmp_path):
    """The stage on the real MiniLM (whose tokenizer.json pads every encoding to 128):
    each row is the mean over translations of the mean pre-trained row of the tokens that
    transformers' tokenizer gives; held-out words get none."""
    from mosecrot.anchors import write_anchors
    from mosecrot.inference import word_embeddings
    from mosecrot.io import write_text
    from mosecrot.relrep import TargetRows
    from mosecrot.stages import build_dictionary_rows
    from transformers import AutoTokenizer

    vocab = ["couleur", "lumière", "chien", "rien"]
    write_text(tmp_path / "vocab.txt", "".join(w + "\n" for w in vocab))
    lexicon = "english\ttarget\tsource\ncolour\tcouleur\tx\nwatercolour\tcouleur\tx\nlight\tlumière\tx\ndog\tchien\tx\n"
    write_text(tmp_path / "lexicon.tsv", lexicon)
    np.save(tmp_path / "words.npy", np.arange(4))
    write_anchors(tmp_path / "heldout.tsv", [Anchor("dog", 3899, "chien", 2)])
    build_dictionary_rows(
        str(tmp_path / "lexicon.tsv"), str(tmp_path / "vocab.txt"), str(tmp_path / "words.npy"), str(minilm_dir),
        str(tmp_path / "heldout.tsv"), ["exact"], str(tmp_path / "rows.npz"), str(tmp_path / "rows.json"),
    )  # fmt: skip
    built = TargetRows.load(tmp_path / "rows.npz")
    assert built.vocab_rows.tolist() == [0, 1]  # chien is held out, rien has no translation
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir))
    table = word_embeddings(minilm_dir)

    def mean_row(word):
        return table[tokenizer(word, add_special_tokens=False)["input_ids"]].mean(axis=0)

    assert len(tokenizer("watercolour", add_special_tokens=False)["input_ids"]) > 1
    np.testing.assert_allclose(built.rows[0], (mean_row("colour") + mean_row("watercolour")) / 2, atol=1e-6)
    np.testing.assert_allclose(built.rows[1], mean_row("light"), atol=1e-6)


def _naive_mixup_epoch(sentences, translations, rate, seed, epoch, base, n_extra, max_length):
    """Mixup, written out: as switching, and one uniform draw (lam) per switched occurrence
    from a second generator; the occurrence becomes slot id base + n_extra + its order."""
    rng = np.random.default_rng([seed, epoch, 0xC0DE])
    lam_rng = np.random.default_rng([seed, epoch, 0x1A3])
    out, slots = [], []
    for sentence in sentences:
        ids = []
        for word, tokens in sentence:
            options = translations.get(word.lower(), [])
            if options and rng.random() < rate:
                j = options[rng.integers(len(options))]
                slots.append((tokens, j, lam_rng.random()))
                ids.append(base + n_extra + len(slots) - 1)
            else:
                ids += tokens
        out.append([1] + ids[: max_length - 2] + [2])
    return out, slots


def test_mixup_slots_match_a_naive_reimplementation():
    switcher = _switcher(0.6)
    switcher.mixup = True
    for epoch in (1, 4):
        switched = switcher.switched_epoch(epoch)
        ids, counts, slots = switched.ids, switched.counts, switched.slots
        naive_ids, naive_slots = _naive_mixup_epoch(SENTENCES, TRANSLATIONS, 0.6, 3, epoch, 40, 4, 8)
        assert ids == naive_ids and counts["switched"] == len(slots) > 0
        assert [(s.tokens, s.extra, s.lam) for s in slots] == naive_slots
    plain = _switcher(0.6)  # without mixup the same words are switched, to the plain extra rows
    switched_positions = [[i >= 40 for i in row] for row in plain.epoch(1)[0]]
    assert switched_positions == [[i >= 40 for i in row] for row in switcher.epoch(1)[0]]


def test_mixed_slot_rows_interpolate_the_translation_and_the_words_own_rows():
    model = train.SequenceClassifier(_tiny_bert(0), 3, "mean")
    table = model.get_input_embeddings()
    extra = np.random.default_rng(1).normal(size=(2, 16)).astype(np.float32)
    switched = train.SwitchedEmbedding(table, extra)
    switched.set_slots([[8, 9], [5]], [1, 0], [0.25, 0.9])
    out = switched(torch.tensor([[1, 42, 7, 40, 43, 2]])).detach().numpy()[0]
    weights = table.weight.detach().numpy()
    np.testing.assert_allclose(out[1], 0.25 * extra[1] + 0.75 * weights[[8, 9]].mean(0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out[4], 0.9 * extra[0] + 0.1 * weights[5], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(out[3], extra[0])
    np.testing.assert_array_equal(out[2], weights[7])


@pytest.mark.parametrize("mixup", [False, True])
def test_mixup_trains_the_switched_words_own_rows_and_never_the_frozen_ones(mixup):
    """At rate 1 a switched word's own token rows never reach the model without mixup (they
    stay as initialised); with mixup (1 - lam) of them does, so they train."""
    switcher = _word_switcher(1.0)
    switcher.mixup = mixup
    before = switcher.table.rows.copy()
    initial = _tiny_bert(0).get_input_embeddings().weight.detach().clone()
    model, _, curve = _trained(switcher)
    np.testing.assert_array_equal(switcher.table.rows, before)
    table = model.get_input_embeddings()
    assert type(table) is torch.nn.Embedding and table.weight.shape[0] == 40
    switchable = list(range(5, 20))  # w5..w19 occur in the toy data and have a translation
    moved = [i for i in switchable if not torch.equal(table.weight[i], initial[i])]
    assert bool(moved) == mixup
    assert all(r["codeswitched"]["switched"] == r["codeswitched"]["switchable"] > 0 for r in curve)


def test_realignment_pairs_are_the_switched_words_and_their_english_tokens():
    """Each switched word's position in the switched sentence and its token span in the
    English copy, naively by walking both sequences; a word either truncation cuts is left out."""
    switcher = _switcher(1.0, max_length=6)
    epoch = switcher.switched_epoch(2)
    english = switcher.pieces
    for sentence, ids, aligned in zip(english, epoch.ids, epoch.alignments):
        copy = [1] + [t for _, tokens in sentence for t in tokens][:4] + [2]
        naive, position, start = [], 1, 1
        for word, tokens in sentence:
            if word.lower() in TRANSLATIONS:
                if position <= 4 and start + len(tokens) - 1 <= 4:
                    naive.append((position, start, start + len(tokens)))
                position += 1
            else:
                position += len(tokens)
            start += len(tokens)
        assert aligned == naive
        for pos, begin, end in aligned:  # the pair really is the switched row and its English tokens
            assert ids[pos] >= 40 and all(token < 40 for token in copy[begin:end])
    assert epoch.alignments[1] == [(1, 1, 2), (3, 3, 5)]  # "lights" (8, 9) twice, the second cut by truncation


def test_realignment_loss_matches_a_naive_info_nce():
    rng = np.random.default_rng(0)
    switched = torch.tensor(rng.normal(size=(2, 6, 8)), dtype=torch.float32)
    english = torch.tensor(rng.normal(size=(2, 7, 8)), dtype=torch.float32)
    pairs = [(0, 2, 1, 3), (1, 4, 4, 5), (0, 5, 6, 7)]
    loss = float(train.realignment_loss(switched, english, pairs, 0.1))
    a = np.stack([switched[r, p].numpy() for r, p, _, _ in pairs])
    b = np.stack([english[r, s:e].numpy().mean(0) for r, _, s, e in pairs])
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    logits = a @ b.T / 0.1

    def info_nce(m):
        return np.mean([np.log(np.exp(row).sum()) - row[i] for i, row in enumerate(m)])

    assert loss == pytest.approx((info_nce(logits) + info_nce(logits.T)) / 2, rel=1e-5)


def test_realignment_changes_training_only_where_it_has_pairs():
    plain = _trained(_word_switcher(0.5))[1]
    switcher = _word_switcher(0.5)
    switcher.realign_weight = 0.1
    before = switcher.table.rows.copy()
    model, aligned, curve = _trained(switcher)
    assert not torch.equal(aligned["head.weight"], plain["head.weight"])
    np.testing.assert_array_equal(switcher.table.rows, before)
    assert type(model.get_input_embeddings()) is torch.nn.Embedding
    nothing = _word_switcher(0.0)  # no switched word, no pair: the plain run, number for number
    nothing.realign_weight = 0.1
    unswitched = _trained(nothing)[1]
    reference = _trained(None)[1]
    assert all(torch.equal(unswitched[key], reference[key]) for key in reference)
