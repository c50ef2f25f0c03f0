"""Stage 4 (rules/train.smk): fine-tuning."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from mosecrot import datasets
from mosecrot.io import atomic_dir, provenance, read_json, write_json

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- training


def finetune(
    table: str,
    labels_path: str,
    model: str,
    out_dir: str,
    settings: dict,
    seed: int,
    embeddings: str = "",
    resume: str = "",
) -> None:
    import torch

    from mosecrot import train

    train.configure_determinism(settings.get("deterministic", False))
    torch.set_num_threads(int(settings.get("threads", 1)))
    labels = read_json(labels_path)
    label_index = {label: i for i, label in enumerate(labels)}
    train_split = datasets.read_table(Path(table), "train")
    dev_split = datasets.read_table(Path(table), "dev")
    train.seed_everything(seed)
    classifier, tokenizer = train.load_classifier(model, labels, settings.get("pooling", "auto"))
    stitched = None
    if embeddings:
        stitched = np.load(embeddings)
        train.set_input_embeddings(classifier, stitched)
    device = train.pick_device(settings.get("device", "auto"))
    classifier.to(device)
    precision = train.effective_precision(settings.get("precision", "fp32"), device)
    if precision != settings.get("precision", "fp32"):
        log.warning("training.precision %s applies on CUDA only: training in fp32 on %s", settings["precision"], device)
    encode = train.plm_encoder(tokenizer, settings["max_length"], settings.get("text_prefix", ""))
    fields = set(train.TrainSettings.__dataclass_fields__)
    train_settings = train.TrainSettings(**{k: v for k, v in settings.items() if k in fields}, seed=seed)
    started = time.time()
    _, curve = train.finetune(
        classifier,
        encode(train_split["text"].tolist()),
        [label_index[x] for x in train_split["label"]],
        encode(dev_split["text"].tolist()),
        [label_index[x] for x in dev_split["label"]],
        tokenizer.pad_token_id,
        train_settings,
        resume_path=resume or None,
    )
    drift = None
    if stitched is not None:
        tuned = classifier.get_input_embeddings().weight.detach().cpu().numpy()
        drift = float(np.linalg.norm(tuned - stitched) / np.linalg.norm(stitched))
    best = train.selected_epoch(curve)
    with atomic_dir(out_dir) as tmp:
        train.save_classifier(classifier, tokenizer, labels, tmp, trace=device.type == "cpu")
        write_json(
            tmp / "training.json",
            {
                "curve": curve,
                "selected_epoch": best["epoch"],
                "selection": "best English dev macro-F1, then lowest dev loss, then earliest",
                "dev_macro_f1": best["dev_macro_f1"],
                "dev_loss": best["dev_loss"],
                "pooling": classifier.pooling,
                "embedding_drift": drift,
                "device": str(device),
                "precision": precision,
                "seconds": round(time.time() - started, 2),
                "train_examples": len(train_split),
                "provenance": provenance(**settings, seed=seed, model=model, embeddings=embeddings or None),
            },
        )
    if resume and Path(resume).exists():
        Path(resume).unlink()  # the scratch state of a finished run
