"""Fine-tuning and prediction for sequence classification with any input embedding table.

Every random source is seeded; batches are padded per batch (dynamic padding); model
selection keeps the epoch with the best English dev macro-F1 (ties: the earlier epoch).
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mosecrot.metrics import macro_f1

log = logging.getLogger(__name__)

Encoder = Callable[[list[str]], list[list[int]]]


@dataclass
class TrainSettings:
    learning_rate: float = 1e-5
    adam_eps: float = 1e-8
    weight_decay: float = 0.0
    epochs: int = 30
    batch_size: int = 8
    grad_accumulation: int = 2
    max_length: int = 100
    seed: int = 0
    freeze_embeddings: bool = False
    eval_batch_size: int = 64


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        log.warning("CUDA requested but not available: using the CPU")
        return torch.device("cpu")
    return torch.device(requested)


def load_classifier(model_dir: str | Path, labels: list[str]):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the new classifier head is expected, not news
    model = AutoModelForSequenceClassification.from_pretrained(
        str(model_dir),
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    return model, tokenizer


def plm_encoder(tokenizer, max_length: int, prefix: str = "") -> Encoder:
    def encode(texts: list[str]) -> list[list[int]]:
        return tokenizer([prefix + t for t in texts], truncation=True, max_length=max_length)["input_ids"]

    return encode


def set_input_embeddings(model, matrix: np.ndarray) -> None:
    """Swap the input embedding table for `matrix` (any number of rows, same width)."""
    current = model.get_input_embeddings()
    if tuple(matrix.shape) == tuple(current.weight.shape):
        with torch.no_grad():
            current.weight.copy_(torch.from_numpy(np.asarray(matrix, dtype=np.float32)))
        return
    if matrix.shape[1] != current.weight.shape[1]:
        raise ValueError(f"embedding width {matrix.shape[1]} != model width {current.weight.shape[1]}")
    table = torch.nn.Embedding(matrix.shape[0], matrix.shape[1])
    with torch.no_grad():
        table.weight.copy_(torch.from_numpy(np.asarray(matrix, dtype=np.float32)))
    model.set_input_embeddings(table.to(current.weight.device))
    model.config.vocab_size = matrix.shape[0]


def _padded(batch: list[list[int]], pad_id: int, device) -> dict[str, torch.Tensor]:
    width = max(len(ids) for ids in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        mask[row, : len(ids)] = 1
    return {"input_ids": input_ids.to(device), "attention_mask": mask.to(device)}


@torch.no_grad()
def predict(model, encoded: list[list[int]], pad_id: int, batch_size: int = 64) -> list[int]:
    model.eval()
    device = next(model.parameters()).device
    predictions: list[int] = []
    for start in range(0, len(encoded), batch_size):
        logits = model(**_padded(encoded[start : start + batch_size], pad_id, device)).logits
        predictions.extend(logits.argmax(dim=-1).tolist())
    return predictions


def finetune(
    model,
    train_ids: list[list[int]],
    train_labels: list[int],
    dev_ids: list[list[int]],
    dev_labels: list[int],
    pad_id: int,
    settings: TrainSettings,
) -> tuple[dict, list[dict]]:
    """Train; return (state dict of the selected epoch, training curve)."""
    from transformers import get_linear_schedule_with_warmup

    seed_everything(settings.seed)
    device = next(model.parameters()).device
    if settings.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        parameters, lr=settings.learning_rate, eps=settings.adam_eps, weight_decay=settings.weight_decay
    )
    steps_per_epoch = -(-len(train_ids) // (settings.batch_size * settings.grad_accumulation))
    scheduler = get_linear_schedule_with_warmup(optimizer, 0, steps_per_epoch * settings.epochs)
    order_rng = np.random.default_rng(settings.seed)
    curve: list[dict] = []
    best_state, best_f1 = None, -1.0
    for epoch in range(1, settings.epochs + 1):
        model.train()
        started = time.time()
        order = order_rng.permutation(len(train_ids))
        total_loss, batches = 0.0, 0
        optimizer.zero_grad()
        for step, start in enumerate(range(0, len(order), settings.batch_size), start=1):
            index = order[start : start + settings.batch_size]
            batch = _padded([train_ids[i] for i in index], pad_id, device)
            labels = torch.tensor([train_labels[i] for i in index], device=device)
            loss = model(**batch, labels=labels).loss
            (loss / settings.grad_accumulation).backward()
            total_loss += loss.item()
            batches += 1
            if step % settings.grad_accumulation == 0 or start + settings.batch_size >= len(order):
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
        predictions = predict(model, dev_ids, pad_id, settings.eval_batch_size)
        dev_f1 = macro_f1([str(x) for x in dev_labels], [str(x) for x in predictions])
        curve.append(
            {
                "epoch": epoch,
                "train_loss": total_loss / max(batches, 1),
                "dev_macro_f1": dev_f1,
                "seconds": round(time.time() - started, 2),
            }
        )
        log.info("epoch %d/%d loss %.4f dev macro-F1 %.4f", epoch, settings.epochs, curve[-1]["train_loss"], dev_f1)
        if dev_f1 > best_f1:
            best_f1, best_state = dev_f1, copy.deepcopy(model.state_dict())
    return best_state, curve
