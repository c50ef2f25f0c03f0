"""What a fine-tuned classifier's directory holds beside the transformers model, and the
padding both sides use: train.py writes the directory, inference.py reads it without
importing transformers. (train.py imports this module, never inference.py.)"""

from __future__ import annotations

TRACE_FILE = "classifier.torchscript.pt"  # the TorchScript trace CPU evaluation runs
HEAD_FILE = "classifier_head.safetensors"
HEAD_CONFIG = "classifier.json"  # labels, pooling, the tokenizer's special ids


def pad_batch(batch: list[list[int]], pad_id: int):
    """Token ids padded to the batch's longest sequence, and the attention mask (CPU tensors)."""
    import torch

    width = max(len(ids) for ids in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, sequence in enumerate(batch):
        ids[row, : len(sequence)] = torch.tensor(sequence)
        mask[row, : len(sequence)] = 1
    return ids, mask
