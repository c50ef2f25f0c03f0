"""Fine-tuning: pooling, model selection, the compact-embedding shortcut (same numbers as the
full table) and resuming a killed run (same numbers as an uninterrupted one). A tiny
random BERT keeps these fast; the real models run in the end-to-end test."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from mosecrot import checkpoint, train


def _tiny_bert(seed: int = 0):
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=40,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    return BertModel(config)


def _data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    ids = [[1, *rng.integers(5, 40, rng.integers(2, 8)).tolist(), 2] for _ in range(n)]
    labels = [int(sum(x) % 3) for x in ids]
    return ids, labels


def _settings(**kwargs) -> train.TrainSettings:
    base = dict(learning_rate=1e-3, epochs=3, batch_size=4, grad_accumulation=2, seed=7, log_every_s=1e9)
    return train.TrainSettings(**{**base, **kwargs})


def _train(settings, resume=None, on_epoch_end=None, model_seed=0):
    train.seed_everything(settings.seed)
    model = train.SequenceClassifier(_tiny_bert(model_seed), 3, "mean")
    train_ids, train_labels = _data(24, 1)
    dev_ids, dev_labels = _data(8, 2)
    state, curve = train.finetune(
        model, train_ids, train_labels, dev_ids, dev_labels, 0, settings, resume_path=resume, on_epoch_end=on_epoch_end
    )
    return model, state, curve


def test_mean_pooling_is_the_masked_mean_of_the_last_hidden_states():
    encoder = _tiny_bert()
    model = train.SequenceClassifier(encoder, 3, "mean").eval()
    ids = torch.tensor([[1, 5, 6, 2, 0], [1, 7, 2, 0, 0]])
    mask = (ids != 0).long()
    hidden = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
    expected = torch.stack([hidden[0, :4].mean(0), hidden[1, :3].mean(0)])  # by hand, row by row
    torch.testing.assert_close(model(ids, mask), model.head(expected))


def test_cls_pooling_reads_bert_pooler():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    encoder = BertModel(
        BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    )
    model = train.SequenceClassifier(encoder, 2, "cls").eval()
    ids, mask = torch.tensor([[1, 5, 2]]), torch.ones(1, 3, dtype=torch.long)
    torch.testing.assert_close(model(ids, mask), model.head(encoder(input_ids=ids, attention_mask=mask).pooler_output))


def test_auto_pooling_fits_each_checkpoint(tmp_path, minilm_dir):
    assert train.resolve_pooling(minilm_dir) == "mean"  # sentence-transformers config: mean pooling
    from transformers import BertConfig, BertModel

    with_pooler = tmp_path / "bert"
    BertModel(
        BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    ).save_pretrained(with_pooler)
    assert train.resolve_pooling(with_pooler) == "cls"
    without = tmp_path / "e5like"
    _tiny_bert().save_pretrained(without)
    from safetensors.torch import load_file, save_file

    weights = load_file(str(without / "model.safetensors"))
    save_file({k: v for k, v in weights.items() if "pooler" not in k}, str(without / "model.safetensors"))
    assert train.resolve_pooling(without) == "mean"  # no trained pooler to read
    assert train.resolve_pooling(without, "cls") == "cls"  # an explicit choice wins


def test_saved_classifier_gives_the_same_logits(tmp_path, minilm_dir):
    labels = ["a", "b", "c"]
    train.seed_everything(0)
    model, tokenizer = train.load_classifier(minilm_dir, labels)
    train.save_classifier(model, tokenizer, labels, tmp_path)
    again, _ = train.load_classifier(tmp_path, labels)
    batch = tokenizer(["turn on the light", "what time is it"], padding=True, return_tensors="pt")
    model.eval()
    torch.testing.assert_close(
        model(batch["input_ids"], batch["attention_mask"]), again.eval()(batch["input_ids"], batch["attention_mask"])
    )
    assert json.loads((tmp_path / checkpoint.HEAD_CONFIG).read_text())["pooling"] == "mean"
    with pytest.raises(ValueError, match="trained for labels"):
        train.load_classifier(tmp_path, ["x", "y", "z"])


def test_selection_breaks_dev_f1_ties_on_dev_loss():
    curve = [
        {"epoch": 1, "dev_macro_f1": 0.9, "dev_loss": 0.5},
        {"epoch": 2, "dev_macro_f1": 1.0, "dev_loss": 0.3},
        {"epoch": 3, "dev_macro_f1": 1.0, "dev_loss": 0.1},
        {"epoch": 4, "dev_macro_f1": 1.0, "dev_loss": 0.1},
    ]
    assert train.selected_epoch(curve)["epoch"] == 3  # saturated F1: the lower loss, then the earlier


def test_compact_embedding_training_equals_full_table(monkeypatch):
    """Only rows the data uses can move under AdamW without weight decay: training those
    rows alone must give the full table's numbers."""
    compact_model, compact_state, compact_curve = _train(_settings())
    monkeypatch.setattr(train, "COMPACT_EMBEDDINGS", False)
    full_model, full_state, full_curve = _train(_settings())
    drop_time = lambda curve: [{k: v for k, v in row.items() if k != "seconds"} for row in curve]  # noqa: E731
    assert drop_time(compact_curve) == drop_time(full_curve)
    for key in full_state:
        torch.testing.assert_close(compact_state[key], full_state[key], rtol=0, atol=0)
    unused = sorted(set(range(40)) - {i for ids in _data(24, 1)[0] + _data(8, 2)[0] for i in ids} - {0})
    original = _tiny_bert().get_input_embeddings().weight
    torch.testing.assert_close(compact_model.get_input_embeddings().weight[unused], original[unused], rtol=0, atol=0)


def test_resumed_training_equals_an_uninterrupted_run(tmp_path):
    _, uninterrupted, full_curve = _train(_settings(epochs=3))

    class Killed(Exception):
        pass

    def kill_after_first(epoch):
        if epoch == 1:
            raise Killed

    resume = tmp_path / "resume.pt"
    with pytest.raises(Killed):
        _train(_settings(epochs=3), resume=resume, on_epoch_end=kill_after_first)
    assert resume.exists()
    # The retry starts from a fresh process state: another model init, other RNG draws.
    torch.manual_seed(123)
    _, resumed, resumed_curve = _train(_settings(epochs=3), resume=resume, model_seed=0)
    assert [row["epoch"] for row in resumed_curve] == [1, 2, 3]
    assert [r["dev_loss"] for r in resumed_curve] == [r["dev_loss"] for r in full_curve]
    assert [r["train_loss"] for r in resumed_curve] == [r["train_loss"] for r in full_curve]
    for key in uninterrupted:
        torch.testing.assert_close(resumed[key], uninterrupted[key], rtol=0, atol=0)


def test_resume_states_are_written_at_most_every_resume_every_s(tmp_path, monkeypatch):
    resume = tmp_path / "resume.pt"
    exists = []
    _train(
        _settings(epochs=3, resume_every_s=1e9), resume=resume, on_epoch_end=lambda e: exists.append(resume.exists())
    )
    assert exists == [False, False, False]  # a short run never pays for a state nothing reads
    # A clock that moves 10 s per epoch: with resume_every_s 15 the states follow epochs 3 and 5.
    now = [0.0]
    monkeypatch.setattr(train.time, "time", lambda: now[0])
    saved, original = [], train._save_resume
    monkeypatch.setattr(train, "_save_resume", lambda *args: (saved.append(args[-2]), original(*args)))
    _train(
        _settings(epochs=5, resume_every_s=15), resume=resume, on_epoch_end=lambda e: now.__setitem__(0, now[0] + 10)
    )
    assert saved == [3, 5]
    monkeypatch.undo()
    resume.unlink()

    # A state written at one interval resumes a run at another: the interval changes no number.
    class Killed(Exception):
        pass

    def kill_after_second(epoch):
        if epoch == 2:
            raise Killed

    with pytest.raises(Killed):
        _train(_settings(epochs=3, resume_every_s=0), resume=resume, on_epoch_end=kill_after_second)
    resumed = []
    _, _, curve = _train(_settings(epochs=3, resume_every_s=1e9), resume=resume, on_epoch_end=resumed.append)
    assert resumed == [3]  # epochs 1 and 2 came from the state
    _, _, full = _train(_settings(epochs=3))
    assert [r["dev_loss"] for r in curve] == [r["dev_loss"] for r in full]


def test_patience_stops_after_epochs_without_improvement():
    _, _, curve = _train(_settings(epochs=30, learning_rate=0.0, patience=2))
    assert len(curve) < 30 and train.selected_epoch(curve)["epoch"] == len(curve) - 2


def test_deterministic_cuda_asks_for_a_fixed_cublas_workspace(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    train.configure_determinism(False)
    assert "CUBLAS_WORKSPACE_CONFIG" not in __import__("os").environ
    train.configure_determinism(True)
    assert __import__("os").environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark


def test_bf16_is_cuda_only_and_leaves_cpu_numbers_alone():
    """bf16 asked on the CPU trains in fp32: the same numbers as an fp32 run, bit for bit."""
    cpu = torch.device("cpu")
    assert train.effective_precision("bf16", cpu) == "fp32"
    assert train.effective_precision("bf16", torch.device("cuda")) == "bf16"
    assert train.effective_precision("fp32", torch.device("cuda")) == "fp32"
    _, fp32_state, fp32_curve = _train(_settings(precision="fp32"))
    _, asked_state, asked_curve = _train(_settings(precision="bf16"))
    assert [r["dev_loss"] for r in asked_curve] == [r["dev_loss"] for r in fp32_curve]
    for key in fp32_state:
        torch.testing.assert_close(asked_state[key], fp32_state[key], rtol=0, atol=0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_bf16_training_on_cuda_runs_under_autocast_and_tracks_fp32():
    def on_cuda(precision):
        train.seed_everything(7)
        model = train.SequenceClassifier(_tiny_bert(0), 3, "mean").cuda()
        train_ids, train_labels = _data(24, 1)
        dev_ids, dev_labels = _data(8, 2)
        return train.finetune(model, train_ids, train_labels, dev_ids, dev_labels, 0, _settings(precision=precision))

    bf16_state, bf16_curve = on_cuda("bf16")
    fp32_state, fp32_curve = on_cuda("fp32")
    assert all(np.isfinite(r["train_loss"]) for r in bf16_curve)
    assert bf16_state["head.weight"].dtype == torch.float32  # autocast: the weights stay fp32
    assert bf16_curve[0]["train_loss"] == pytest.approx(fp32_curve[0]["train_loss"], rel=0.05)
