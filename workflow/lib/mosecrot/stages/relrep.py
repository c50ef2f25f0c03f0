"""Stage 3 (rules/relrep.smk): anchors, the target words read, relative builds, linear
maps, the static alignment, the peers."""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path

import numpy as np

from mosecrot import anchors as anchors_lib
from mosecrot import datasets, lexicon, relrep, vectors
from mosecrot.io import PipelineInputError, atomic_path, provenance, write_json

log = logging.getLogger(__name__)


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
    dictionary_path: str = "",
) -> None:
    """Anchors of one set. The induced dictionary's set (settings lexicon: induced) holds out
    nothing itself: the real dictionary (`dictionary_path`) draws the main set's held-out
    split, whose words no induced anchor may use, and its gold is written as this set's."""
    target = vectors.load_cache(matrix, vocab)
    plm_vocab, specials, _ = plm_vocabulary(model)
    whole = anchors_lib.whole_word_vocab(plm_vocab, specials)
    pairs = lexicon.read_lexicon_tsv(Path(lexicon_path))
    induced = settings.get("lexicon") == "induced"
    dictionary = lexicon.read_lexicon_tsv(Path(dictionary_path)) if induced else []
    english_rank = None
    if settings["one_per_target"] in ("most_frequent_english", "one_to_one"):
        from wordfreq import zipf_frequency

        english_rank = {e.lower(): zipf_frequency(e, "en") for e, _ in pairs + dictionary}
    beyond_top_n = set(vectors.read_vocab(beyond))

    def select(lexicon_pairs, held_out_share, excluded=None):
        return anchors_lib.select_anchors(
            lexicon_pairs,
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
            held_out_share=held_out_share,
            strategy=settings.get("strategy", "all"),
            n=settings.get("n"),
            seed=settings.get("seed", 0),
            target_matrix=target.matrix,
            english_rank=english_rank,
            beyond_top_n=beyond_top_n,
            excluded=excluded,
        )

    share = settings.get("held_out_share", 0.0)
    if induced:
        _, held_out, _ = select(dictionary, share)
        excluded = ({a.target_row for a in held_out}, {a.token_id for a in held_out})
        chosen, _, stats = select(pairs, 0.0, excluded)
        stats["held_out_gold_pairs"] = len(held_out)
    else:
        chosen, held_out, stats = select(pairs, share)
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
    index = vectors.read_vocab_index(vocab)
    rows, stats = transfer.words_read(texts, transfer.Tokenization.from_config(tokenization), dictionary, index)
    with atomic_path(out_rows) as tmp, open(tmp, "wb") as handle:
        np.save(handle, rows)
    write_json(out_stats, {**stats, "tables": tables, "provenance": provenance(tokenization=tokenization)})
    log.info("target words read: %d of %d vocabulary rows", len(rows), len(index))


def _target_search_space(anchor_list, target, space: str, alignment: str = "", english=None):
    """(target words' vectors, anchors' vectors) in the space the target side searches: the
    target static space (plm, static), or the English static space after the alignment
    (aligned: the anchors' English static vectors)."""
    if not space.startswith("aligned"):
        return target.matrix, target.matrix[np.array([a.target_row for a in anchor_list])]
    from mosecrot import peers

    static_anchors, _ = peers.english_static_rows([a.english for a in anchor_list], english.index(), english.matrix)
    return np.asarray(target.matrix) @ np.load(alignment), static_anchors


def search_target_neighbours(
    anchors_path: str,
    matrix: str,
    vocab: str,
    k: str,
    space: str,
    settings: dict,
    out: str,
    english_matrix: str = "",
    english_vocab: str = "",
    alignment: str = "",
) -> None:
    """The top-k anchors of every target word (relrep.Search): the one FAISS search that the
    builds of every weighting with this k, anchor set and target space weigh."""
    started = time.time()
    anchor_list = anchors_lib.read_anchors(anchors_path)
    target = vectors.load_cache(matrix, vocab)
    english = vectors.load_cache(english_matrix, english_vocab) if space.startswith("aligned") else None
    queries, anchor_vectors = _target_search_space(anchor_list, target, space, alignment, english)
    options = relrep.Settings.from_config(settings, "standard", k)  # the weighting plays no part in a search
    relrep.search_neighbours(queries, anchor_vectors, options, desc="target words").save(out)
    seconds = time.time() - started
    log.info("searched %d target words x %d anchors (k %s) in %.1f s", len(target.words), len(anchor_list), k, seconds)


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
    search_path: str = "",
) -> None:
    """F_s (one row per PLM token) and F_t (one per target word the pipeline reads, with
    its neighbours: relrep.TargetRows) for one variant. `search_path` (numeric k, when
    several builds share the search: search_target_neighbours): the target words'
    neighbours found once, weighed here with the bits a search in this job would give.

    space plm: source similarities in the PLM embedding space, target ones in the target
    static space (the paper). static: source similarities in the English static space for
    every PLM token with an English static vector (the rest stay in the PLM space).
    aligned: as static, and target words are compared with the anchors' English static
    vectors after the orthogonal alignment, so both sides share one similarity space."""
    from mosecrot import peers

    started = time.time()
    options = relrep.Settings.from_config(settings, weighting, k)
    anchor_list = anchors_lib.read_anchors(anchors_path)
    token_ids = np.array([a.token_id for a in anchor_list])
    target = vectors.load_cache(matrix, vocab)
    plm_vocab, specials, embeddings = plm_vocabulary(model)
    anchor_embeddings = embeddings[token_ids]
    groups = token_ids  # polysemous English words repeat across anchors
    stitch = functools.partial(relrep.stitch, settings=options, anchor_groups=groups)

    # Source side: every PLM row.
    source = np.empty((embeddings.shape[0], embeddings.shape[1]), dtype=np.float32)
    in_plm = np.ones(embeddings.shape[0], dtype=bool)
    source_stats: dict = {}
    english = None
    if space != "plm":
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
    target_queries, target_anchor_vectors = _target_search_space(anchor_list, target, space, alignment, english)
    found = relrep.Search.load(search_path) if search_path else None  # else this job searches
    target_matrix, target_n, target_stats = stitch(
        target_queries, target_anchor_vectors, anchor_embeddings, desc="target words", keep=read, found=found
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
    solve = relrep.least_squares_map if linear_map.split("-")[0] == "ls" else relrep.procrustes_map
    mapping = solve(a_t, a_s)
    read = np.load(words_path)  # the whole product, then the rows read (see relrep.stitch's keep)
    built = relrep.TargetRows(read, (np.asarray(target.matrix) @ mapping).astype(np.float32, copy=False)[read])
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


def _static_pairs(anchors_path: str, matrix: str, vocab: str, english_matrix: str, english_vocab: str):
    """The target and English static spaces, and (target row, English static row) of the
    anchors that have a vector on both sides."""
    target = vectors.load_cache(matrix, vocab)
    english = vectors.load_cache(english_matrix, english_vocab)
    english_index = english.index()
    pairs = [
        (a.target_row, english_index[a.english.lower()])
        for a in anchors_lib.read_anchors(anchors_path)
        if a.english.lower() in english_index
    ]
    if len(pairs) < 2:
        raise PipelineInputError(
            f"{anchors_path}: only {len(pairs)} anchors have an English static vector; "
            "check english_vectors in the config"
        )
    return target, english, np.array(pairs, dtype=np.int64)


def _alignment_scorer(model: str, english, heldout_path: str, candidates_path: str, target):
    """Held-out lexicon induction through a map of the target static space (the candidates:
    PLM tokens with an English static vector, as every construction is scored)."""
    from mosecrot import peers

    plm_vocab, _, embeddings = plm_vocabulary(model)
    candidates, _ = peers.english_static_rows(
        _tokens_by_id(plm_vocab, len(embeddings)), english.index(), english.matrix
    )
    held = anchors_lib.read_anchors(heldout_path)
    return lambda mapping: _mapped_induction(
        held, (np.asarray(target.matrix) @ mapping).__getitem__, candidates, candidates_path
    )


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

    target, english, pairs = _static_pairs(anchors_path, matrix, vocab, english_matrix, english_vocab)
    target_rows, english_rows = np.asarray(target.matrix[pairs[:, 0]]), np.asarray(english.matrix[pairs[:, 1]])
    mapping = peers.align(target_rows, english_rows)
    with atomic_path(out_map) as tmp, open(tmp, "wb") as handle:
        np.save(handle, mapping)
    fitted = relrep.normalized(target_rows) @ mapping
    write_json(
        out_diagnostics,
        {
            "language": Path(anchors_path).parent.name,
            "anchor_set": Path(anchors_path).stem,
            "pairs_used": len(pairs),
            "anchors": len(anchors_lib.read_anchors(anchors_path)),
            "mean_cosine_fitted_pairs": float(
                (relrep.normalized(fitted) * relrep.normalized(english_rows)).sum(1).mean()
            ),
            "lexicon_induction": _alignment_scorer(model, english, heldout_path, candidates_path, target)(mapping),
            "provenance": provenance(anchors_file=anchors_path, english_vectors=english_matrix),
        },
    )


def refine_alignment(
    anchors_path: str,
    heldout_path: str,
    matrix: str,
    vocab: str,
    english_matrix: str,
    english_vocab: str,
    model: str,
    candidates_path: str,
    refine: dict,
    out_refined: str,
    out_diagnostics: str,
) -> None:
    """The static alignment refined on mutual CSLS neighbours (unsupervised.refine, MUSE's
    supervised refinement): step 0 is align_static_spaces' map, fitted on the same pairs;
    the step with the best unsupervised criterion is kept (step 0 when none beats it).
    Both are scored on the held-out pairs: P@1 before and after."""
    from mosecrot import unsupervised

    started = time.time()
    target, english, pairs = _static_pairs(anchors_path, matrix, vocab, english_matrix, english_vocab)
    refined = unsupervised.refine(
        np.asarray(target.matrix),
        np.asarray(english.matrix),
        pairs,
        steps=refine["steps"],
        n=refine["words"],
        k=refine["csls_k"],
    )
    with atomic_path(out_refined) as tmp, open(tmp, "wb") as handle:
        np.save(handle, refined.map.astype(np.float32))
    score = _alignment_scorer(model, english, heldout_path, candidates_path, target)
    initial = refined.initial_map
    record = {
        "language": Path(anchors_path).parent.name,
        "anchor_set": Path(anchors_path).stem,
        "pairs_used": len(pairs),
        "criterion_per_step": refined.criterion,
        "best_step": refined.best_step,
        "pairs_at_best_step": len(refined.pairs),
        "lexicon_induction_before": score(initial),
        "lexicon_induction": score(refined.map),
        "seconds": round(time.time() - started, 2),
        "provenance": provenance(anchors_file=anchors_path, english_vectors=english_matrix, refine=refine),
    }
    write_json(out_diagnostics, record)
    log.info(
        "refined alignment: criterion %s, step %d kept; held-out P@1 %.3f -> %.3f",
        [round(c, 4) for c in refined.criterion],
        refined.best_step,
        record["lexicon_induction_before"]["p@1"],
        record["lexicon_induction"]["p@1"],
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
    if peer.split("-")[0] == "wechsel":
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


def induce_dictionary(
    matrix: str,
    vocab: str,
    english_matrix: str,
    english_vocab: str,
    heldout_path: str,
    settings: dict,
    out_lexicon: str,
    out_map: str,
    out_diagnostics: str,
    out_plot: str,
) -> None:
    """A bilingual dictionary induced with no dictionary (unsupervised.induce) between the
    most frequent words of the target and English static spaces, in the lexicon format. The
    real dictionary's held-out pairs only score it; a failed alignment is warned about
    loudly (its pairs are noise) but still written, so that the run shows what it gives."""
    from mosecrot import unsupervised
    from mosecrot.analysis.plots import plot_criterion

    started = time.time()
    lang = Path(out_lexicon).parent.name
    target = vectors.load_cache(matrix, vocab)
    english = vectors.load_cache(english_matrix, english_vocab)
    words = settings["words"]
    x = unsupervised.centred(target.matrix[:words])
    z = unsupervised.centred(english.matrix[:words])
    adversarial = {key.removeprefix("adversarial_"): v for key, v in settings.items() if key.startswith("adversarial_")}
    induced = unsupervised.induce(
        x,
        z,
        init=settings["init"],
        init_words=settings["init_words"],
        steps=settings["refine_steps"],
        n=settings["refine_words"],
        k=settings["csls_k"],
        seed=settings["seed"],
        margin=settings["failure_margin"],
        adversarial=adversarial,
    )
    pairs = [(english.words[e], target.words[t], "induced") for t, e in induced.pairs]
    lexicon.write_lexicon_tsv(Path(out_lexicon), pairs)
    with atomic_path(out_map) as tmp, open(tmp, "wb") as handle:
        np.save(handle, induced.alignment.map.astype(np.float32))

    # Scoring against the real dictionary's held-out gold (target word -> English words).
    gold: dict[str, set[str]] = {}
    for pair in anchors_lib.read_anchors(heldout_path):
        gold.setdefault(pair.target, set()).add(pair.english.lower())
    induced_for = {t: e.lower() for e, t, _ in pairs}
    covered = [word for word in gold if word in induced_for]
    # CSLS translation of the held-out words among the frequent rows, scored where a gold
    # translation is among the English candidates.
    frequent_english = {w.lower() for w in english.words[:words]}
    target_index = target.index()
    scorable = [w for w in sorted(gold) if target_index.get(w, words) < words and gold[w] & frequent_english]
    hits = []
    if scorable:
        queries = x[[target_index[w] for w in scorable]] @ induced.alignment.map
        nearest, _ = unsupervised.csls_nearest(queries, z, settings["csls_k"], source=x @ induced.alignment.map)
        hits = [english.words[j].lower() in gold[w] for w, j in zip(scorable, nearest)]
    record = {
        "language": lang,
        "init": induced.init,
        "initial_pairs": induced.initial_pairs,
        "induced_pairs": len(pairs),
        "adversarial_checkpoints": induced.adversarial_log,
        "criterion_per_step": induced.alignment.criterion,
        "best_step": induced.alignment.best_step,
        "unrelated_criterion": induced.unrelated,
        "failure_threshold": induced.unrelated + settings["failure_margin"],
        "failed": induced.failed,
        "held_out": {
            "gold_words": len(gold),
            "in_induced_dictionary": len(covered),
            "induced_pair_precision": (
                float(np.mean([induced_for[w] in gold[w] for w in covered])) if covered else None
            ),
            "translated": len(scorable),
            "p@1": float(np.mean(hits)) if hits else None,
        },
        "seconds": round(time.time() - started, 2),
        "provenance": provenance(**settings),
    }
    write_json(out_diagnostics, record)
    plot_criterion(
        induced.alignment.criterion,
        induced.unrelated,
        settings["failure_margin"],
        f"{lang} onto English, no dictionary ({induced.init} init)" + (": FAILED" if induced.failed else ""),
        out_plot,
    )
    if induced.failed:
        log.warning(
            "!!! %s: THE DICTIONARY-FREE ALIGNMENT FAILED: its best criterion %.3f is within %.2f of the %.3f that "
            "unrelated spaces reach. Its %d induced pairs are noise, and every -nodict method of %s reads them: do "
            "not read their scores as a result of the method. !!!",
            lang,
            max(induced.alignment.criterion),
            settings["failure_margin"],
            induced.unrelated,
            len(pairs),
            lang,
        )
    log.info(
        "%s: %d induced pairs (%s init, %d initial); held-out P@1 %s; %.0f s",
        lang,
        len(pairs),
        induced.init,
        induced.initial_pairs,
        record["held_out"]["p@1"],
        time.time() - started,
    )


# --------------------------------------------------------------------------- code-switching and the dictionary control


def codeswitch_pairs(
    lexicon_path: str,
    vocab: str,
    anchors_path: str,
    heldout_path: str,
    split: str,
    target_casing: list[str],
    out_pairs: str,
    out_stats: str,
) -> None:
    """The dictionary pairs code-switching may switch: every pair whose words are not held
    out (split 'anchors': anchor pairs allowed), or also none sharing a word with an anchor
    (split 'disjoint')."""
    from mosecrot import codeswitch

    if split not in ("anchors", "disjoint"):
        raise PipelineInputError(f"code-switching split {split!r}: use anchors or disjoint")
    index = vectors.read_vocab_index(vocab)
    anchor_list = anchors_lib.read_anchors(anchors_path)
    pairs, stats = codeswitch.switch_pairs(
        lexicon.read_lexicon_tsv(Path(lexicon_path)),
        index,
        target_casing,
        anchors_lib.read_anchors(heldout_path),
        anchor_list if split == "disjoint" else None,
    )
    if not pairs:
        raise PipelineInputError(
            f"{lexicon_path}: no dictionary pair is left to code-switch ({stats}); use a larger dictionary "
            "or the split that allows anchor pairs"
        )
    codeswitch.write_pairs(out_pairs, pairs)
    stats["anchors"] = len(anchor_list)
    write_json(out_stats, {**stats, "provenance": provenance(split=split, target_casing=target_casing)})
    log.info("code-switching pairs (%s): %s", split, stats)


def build_dictionary_rows(
    lexicon_path: str,
    vocab: str,
    words_path: str,
    model: str,
    heldout_path: str,
    target_casing: list[str],
    out_rows: str,
    out_diagnostics: str,
    method: str = "dict",
) -> None:
    """The dictionary-only control's rows (peers.dictionary_rows) from the dictionary pairs
    the anchors are drawn from (the held-out words' pairs stay out), no static vector; for
    dict-nodict, the pairs of the dictionary induced from the static spaces."""
    from tokenizers import Tokenizer

    from mosecrot import codeswitch, peers
    from mosecrot.inference import word_embeddings

    started = time.time()
    index = vectors.read_vocab_index(vocab)
    pairs, stats = codeswitch.switch_pairs(
        lexicon.read_lexicon_tsv(Path(lexicon_path)), index, target_casing, anchors_lib.read_anchors(heldout_path)
    )
    tokenizer = Tokenizer.from_file(str(Path(model) / "tokenizer.json"))
    tokenizer.no_padding()  # a saved tokenizer.json may pad every encoding (MiniLM's: to 128 [PAD]s)
    tokenizer.no_truncation()
    tokens = {p.english: tokenizer.encode(p.english, add_special_tokens=False).ids for p in pairs}
    translations: dict[int, list[list[int]]] = {}
    for pair in pairs:
        translations.setdefault(pair.target_row, []).append(tokens[pair.english])
    read = np.load(words_path)
    kept, rows = peers.dictionary_rows(read, translations, word_embeddings(model))
    relrep.TargetRows(kept, rows).save(out_rows)
    write_json(
        out_diagnostics,
        {
            "language": Path(heldout_path).parent.name,
            "method": method,
            "dictionary": stats,
            "target_words": len(read),
            "target_words_with_a_row": len(kept),
            "anchors": None,
            "lexicon_induction": None,  # held-out words have no pair, hence no row, by construction
            "seconds": round(time.time() - started, 2),
            "provenance": provenance(target_casing=target_casing),
        },
    )
    log.info("dictionary rows for %d of the %d target words read", len(kept), len(read))
