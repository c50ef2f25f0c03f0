"""Stage 5 (rules/evaluate.smk): evaluations."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mosecrot import anchors as anchors_lib
from mosecrot import datasets, plan, relrep, vectors
from mosecrot.io import PipelineInputError, provenance, read_json, write_json

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- evaluation


def evaluate_seeds(models: list[str], outs: list[str], seeds: list[int], **shared) -> None:
    """One method (or training) on one test set, every seed's model in turn, in one process
    (the imports cost more than evaluating one model): evaluate() per seed, each result
    written atomically as it is done. Every path is checked before the first evaluation."""
    if not len(models) == len(outs) == len(seeds):
        raise ValueError(f"{len(models)} models, {len(outs)} outputs and {len(seeds)} seeds: one each per seed")
    triples = list(zip(models, outs, seeds))
    for model, out, seed in triples:
        if Path(out).name != f"seed{seed}.json" or not model.rstrip("/").endswith(f"seed{seed}"):
            raise ValueError(f"seed {seed}: model {model} and output {out} must be that seed's")
    for model, out, seed in triples:
        evaluate(model=model, out=out, seed=seed, **shared)


def evaluate(
    table: str,
    labels_path: str,
    model: str,
    out: str,
    settings: dict,
    seed: int,
    vectors_matrix: str = "",
    vectors_vocab: str = "",
    plm: str = "",
    target: str = "",
    source_rows: str = "",
    anchors_path: str = "",
    diagnostics: str = "",
    bin_path: str = "",
) -> None:
    """One fine-tuned model on one test set. Word-level methods swap the embedding layer
    for [fine-tuned special rows; target rows of the words the test set uses]; the others
    read raw text with the model's own tokenizer. The per-example predictions are kept
    for the paired significance tests. (No transformers import on the CPU: inference.py.)"""
    import torch

    from mosecrot import inference, train, transfer
    from mosecrot.metrics import classification_report

    train.configure_determinism(settings.get("deterministic", False))
    torch.set_num_threads(int(settings.get("threads", 1)))
    labels = read_json(labels_path)
    test = datasets.read_table(Path(table), "test")
    datasets.check_table(test, Path(table).stem, Path(table).parent.name, ["test"], labels)
    classifier = inference.Classifier(model, str(train.pick_device(settings.get("device", "auto"))))
    special = inference.special_ids(model)
    kind = settings["kind"]
    texts = test["text"].tolist()
    extra: dict = {}
    if kind in plan.WORD_LEVEL:
        tokenization = transfer.Tokenization.from_config(settings.get("tokenization"))
        word_lists = [tokenization.split(text) for text in texts]
        positions = _word_positions(word_lists, vectors_vocab)
        built = relrep.TargetRows.load(target)
        if kind == "dict":  # words without a dictionary translation have no row: unknown
            built_here = built.contains(list(positions.values()))
            positions = {word: row for (word, row), has in zip(positions.items(), built_here) if has}
        rows = np.fromiter(positions.values(), dtype=np.int64, count=len(positions))
        if kind == "rr" and settings.get("tuned"):
            word_rows, extra["tuned_anchor_rows"] = _tuned_target_rows(
                built.neighbours_at(rows, target), anchors_path, source_rows, plm, classifier.table
            )
        else:
            word_rows = built.at(rows, target)
        rows_for = dict(zip(positions, word_rows))
        if settings.get("unknown_words") == "subword" and bin_path:
            extra |= _add_subword_rows(
                rows_for, word_lists, settings, kind, vectors_matrix, vectors_vocab, anchors_path, plm, bin_path
            )
        special_rows = classifier.table[transfer.special_token_ids(special)]
        inputs = transfer.word_inputs(word_lists, rows_for, special_rows, special, settings["max_length"])
        predicted_ids = classifier.predict(inputs.encoded, inputs.table, inputs.pad_row)
        unknown_rate = inputs.unknown_rate
        extra["tokenization"] = tokenization.record()
        extra["dropped_punctuation"] = inputs.dropped_punctuation
    else:  # multilingual, no-swap, original, and English with the model's own embeddings
        encoded = inference.text_encoder(model, settings["max_length"], settings.get("text_prefix", ""))(texts)
        predicted_ids = classifier.predict(encoded, pad_row=special["pad"])
        n_tokens = sum(len(ids) - 2 for ids in encoded)
        unknown_rate = sum(i == special["unk"] for ids in encoded for i in ids) / max(n_tokens, 1)
    predicted = [labels[i] for i in predicted_ids]
    gold = test["label"].tolist()
    report = classification_report(gold, predicted, labels)
    training_info = read_json(Path(model) / "training.json")
    kept = (
        "selected_epoch",
        "dev_macro_f1",
        "dev_loss",
        "embedding_drift",
        "seconds",
        "pooling",
        "codeswitch",
        "curve",
    )
    result = {
        "dataset": Path(table).parent.name,
        "language": Path(table).stem,
        "method": settings["method"],
        "seed": seed,
        "zero_shot": settings["zero_shot"],
        **report,
        "unknown_word_rate": unknown_rate,
        "anchors": read_json(diagnostics)["anchors"]
        if diagnostics
        else (len(anchors_lib.read_anchors(anchors_path)) if anchors_path else None),
        "training": {k: training_info.get(k) for k in kept},
        "inference": "torchscript trace" if classifier.traced else "transformers",
        **extra,
        "gold": gold,
        "predicted": predicted,
        "provenance": provenance(**settings, seed=seed, model=model),
    }
    if settings.get("trained_for"):
        result["trained_for"] = settings["trained_for"]
    write_json(out, result)
    log.info("%s %s seed %d: macro-F1 %.4f", result["language"], settings["method"], seed, report["macro_f1"])


def _word_positions(word_lists: list[list[str]], vocab_path: str) -> dict[str, int]:
    """Vocabulary row of every distinct word of the texts that the vectors know."""
    used = {word for words in word_lists for word in words}
    return {word: row for row, word in enumerate(vectors.read_vocab(vocab_path)) if word in used}


def _tuned_target_rows(
    neighbours: relrep.Neighbours, anchors_path: str, source_path: str, plm: str, tuned_table: np.ndarray
) -> tuple[np.ndarray, dict]:
    """F_t (of the target words whose `neighbours` are given) rebuilt from the anchors' original rows plus
    what fine-tuning changed in them: E_s[a] + (T[a] - F_s[a]), where T is the fine-tuned
    table and F_s the stitched table it started from. (T[a] alone would mix rows that are
    already mixtures a second time.) Also counts the distinct anchor tokens whose row
    fine-tuning changed at all: only tokens of the English training texts move (no weight
    decay), so on a small task -tuned can equal its base method."""
    from mosecrot.inference import word_embeddings

    token_ids = [a.token_id for a in anchors_lib.read_anchors(anchors_path)]
    stitched = np.load(source_path, mmap_mode="r")[token_ids]
    change = tuned_table[token_ids] - stitched
    updated = word_embeddings(plm)[token_ids] + change
    moved = {token for token, row in zip(token_ids, change) if np.any(row != 0)}
    counts = {"anchor_tokens": len(set(token_ids)), "changed_by_finetuning": len(moved)}
    return neighbours.combine(updated), counts


def _add_subword_rows(
    rows_for, word_lists, settings, kind, vectors_matrix, vectors_vocab, anchors_path, plm, bin_path
) -> dict:
    """Rows for unknown test words from fastText subword vectors, built like known words."""
    unknown = sorted({w for words in word_lists for w in words if w not in rows_for})
    if not unknown:
        return {"subword_rows": 0}
    if kind not in ("rr", "ls", "procrustes"):
        raise PipelineInputError(f"unknown_words: subword is not available for method kind {kind}")
    oov_vectors = vectors.SubwordVectors(bin_path)(unknown)
    known = vectors.load_cache(vectors_matrix, vectors_vocab)
    from mosecrot.inference import word_embeddings

    anchor_list = anchors_lib.read_anchors(anchors_path)
    anchor_rows = word_embeddings(plm)[[a.token_id for a in anchor_list]]
    a_t = np.asarray(known.matrix[[a.target_row for a in anchor_list]])
    if kind == "rr":
        rr = settings["relrep"]
        rows, _, _ = relrep.stitch(
            oov_vectors, a_t, anchor_rows, relrep.Settings.from_config(rr, rr["weighting"], rr["k"])
        )
    else:
        mapping = (relrep.least_squares_map if kind == "ls" else relrep.procrustes_map)(a_t, anchor_rows)
        rows = oov_vectors @ mapping
    rows_for.update(zip(unknown, rows.astype(np.float32)))
    return {"subword_rows": len(unknown)}


def evaluate_lr(table: str, labels_path: str, matrix: str, vocab: str, tokenization: dict, seed: int, out: str) -> None:
    from mosecrot import transfer
    from mosecrot.metrics import classification_report

    labels = read_json(labels_path)
    frame = datasets.read_table(Path(table))
    datasets.check_table(frame, Path(table).stem, Path(table).parent.name, ["train", "test"], labels)
    known = vectors.load_cache(matrix, vocab)
    index = known.index()
    split = transfer.Tokenization.from_config(tokenization).split
    train_split, test = frame[frame["split"] == "train"], frame[frame["split"] == "test"]
    train_x, _, _ = transfer.average_vectors([split(t) for t in train_split["text"]], index, known.matrix)
    test_x, tokens, unknown = transfer.average_vectors([split(t) for t in test["text"]], index, known.matrix)
    model = transfer.logistic_regression(train_x, train_split["label"].tolist(), seed)
    gold, predicted = test["label"].tolist(), model.predict(test_x).tolist()
    write_json(
        out,
        {
            "dataset": Path(table).parent.name,
            "language": Path(table).stem,
            "method": "lr",
            "seed": seed,
            "zero_shot": False,
            "note": "trained on TARGET-language training data: not zero-shot",
            **classification_report(gold, predicted, labels),
            "unknown_word_rate": unknown / max(tokens, 1),
            "anchors": None,
            "train_examples": len(train_split),
            "tokenization": transfer.Tokenization.from_config(tokenization).record(),
            "gold": gold,
            "predicted": predicted,
            "provenance": provenance(seed=seed, tokenization=tokenization),
        },
    )
