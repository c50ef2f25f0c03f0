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
    switch_pairs: str = "",
    switch_rows: str = "",
) -> None:
    """Fine-tune on the English training split. With `switch_pairs` and `switch_rows` (the
    method's target rows, relrep.TargetRows) and settings["codeswitch"], code-switched
    (codeswitch.py): the English sentences are the only text read."""
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
    switcher = None
    if switch_pairs:
        switcher = _switcher(
            tokenizer,
            train_split["text"].tolist(),
            switch_pairs,
            switch_rows,
            settings,
            classifier.get_input_embeddings().weight.shape[0],
            seed,
        )
        log.info("code-switching: %s", switcher.record())
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
        switcher=switcher,
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
                "codeswitch": switcher.record() if switcher is not None else None,
                "provenance": provenance(
                    **settings,
                    seed=seed,
                    model=model,
                    embeddings=embeddings or None,
                    switch_pairs=switch_pairs or None,
                    switch_rows=switch_rows or None,
                ),
            },
        )
    if resume and Path(resume).exists():
        Path(resume).unlink()  # the scratch state of a finished run


def _switcher(tokenizer, texts: list[str], pairs_path: str, rows_path: str, settings: dict, rows: int, seed: int):
    from mosecrot import codeswitch, relrep

    options = settings["codeswitch"]
    built = relrep.TargetRows.load(rows_path)
    table = codeswitch.SwitchTable.build(codeswitch.read_pairs(pairs_path), built, rows_path)
    return codeswitch.Switcher(
        pieces=codeswitch.word_pieces(tokenizer, texts, settings.get("text_prefix", "")),
        table=table,
        rate=options["rate"],
        base_rows=rows,
        cls_id=tokenizer.cls_token_id,
        sep_id=tokenizer.sep_token_id,
        max_length=settings["max_length"],
        seed=seed,
        translation=options["translation"],
        mixup=options.get("mixup", False),
        realign_weight=options.get("realign_weight", 0.0),
        realign_temperature=options.get("realign_temperature", 0.1),
    )
