"""Forward passes of a fine-tuned classifier at evaluation time, on any embedding table.

Evaluation jobs are many and short: importing transformers and building a model takes about
4 s per process on 2 CPU cores, more than the evaluation itself. So fine-tuning also saves a
TorchScript trace of the real transformers model *below* its word-embedding lookup
(inputs_embeds, attention mask -> logits), checked there against the model on batches of
other shapes (train.trace_classifier). On the CPU, evaluation runs that trace and needs
torch, numpy, safetensors and tokenizers only; on a GPU it loads the transformers model
itself (the import cost is nothing next to a large test set, and the trace is only
checked on the CPU). Both paths give the same predictions (tests/test_inference.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mosecrot.checkpoint import HEAD_CONFIG, TRACE_FILE, pad_batch
from mosecrot.io import read_json

log = logging.getLogger(__name__)


def word_embeddings(model_dir: str | Path) -> np.ndarray:
    """The (fine-tuned) input word-embedding table of a model directory."""
    from safetensors import safe_open

    with safe_open(str(Path(model_dir) / "model.safetensors"), "np") as handle:
        name = next(k for k in handle.keys() if k.endswith("word_embeddings.weight"))  # noqa: SIM118 (not a dict)
        return handle.get_tensor(name).astype(np.float32)


def special_ids(model_dir: str | Path) -> dict[str, int | None]:
    """cls/sep/pad/unk/mask token ids, as saved with the classifier."""
    return read_json(Path(model_dir) / HEAD_CONFIG)["special_ids"]


def text_encoder(model_dir: str | Path, max_length: int, prefix: str = ""):
    """The model's own tokenizer (its tokenizer.json, as saved after fine-tuning), with
    truncation to max_length: the same ids as the transformers tokenizer."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    tokenizer.no_padding()

    def encode(texts: list[str]) -> list[list[int]]:
        return [encoding.ids for encoding in tokenizer.encode_batch([prefix + t for t in texts])]

    return encode


class Classifier:
    """Logits of a fine-tuned classifier for token ids looked up in a given table."""

    def __init__(self, model_dir: str | Path, device: str = "cpu"):
        import torch

        self.model_dir = Path(model_dir)
        self.device = torch.device(device)
        self.table = word_embeddings(model_dir)
        self.labels = read_json(self.model_dir / HEAD_CONFIG)["labels"]
        if self.device.type == "cpu" and (self.model_dir / TRACE_FILE).exists():
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript: maintained, but "deprecated"
                self.module = torch.jit.load(str(self.model_dir / TRACE_FILE), map_location="cpu")
            self.traced = True
        else:
            from mosecrot import train

            model, _ = train.load_classifier(self.model_dir, self.labels)
            self.module = train.EmbeddedInputs(model).to(self.device)
            self.traced = False
        self.module.eval()

    def predict(
        self, encoded: list[list[int]], table: np.ndarray | None = None, pad_row: int = 0, batch_size: int = 64
    ) -> list[int]:
        """Argmax labels (as indices) for each sequence of rows of `table` (default: the
        model's own fine-tuned table)."""
        import torch

        rows = torch.from_numpy(np.ascontiguousarray(self.table if table is None else table, dtype=np.float32)).to(
            self.device
        )
        out: list[int] = []
        with torch.no_grad():
            for start in range(0, len(encoded), batch_size):
                batch = encoded[start : start + batch_size]
                ids, mask = pad_batch(batch, pad_row)
                embeds = torch.nn.functional.embedding(ids.to(self.device), rows)
                out.extend(self.module(embeds, mask.to(self.device)).argmax(dim=-1).tolist())
        return out
