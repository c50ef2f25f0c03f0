"""Anchor selection: dictionary pairs whose English side is a whole PLM token and whose
target side has a static vector, filtered and subsampled deterministically."""

from __future__ import annotations

import importlib
import logging
import random
from dataclasses import dataclass

import numpy as np

from mosecrot.blas import load_faiss
from mosecrot.io import PipelineInputError

log = logging.getLogger(__name__)

CASINGS = {"exact": lambda w: w, "lower": str.lower, "title": str.title}


@dataclass(frozen=True)
class Anchor:
    english: str
    token_id: int
    target: str
    target_row: int


def _first_match(word: str, vocab: dict[str, int], order: list[str]) -> str | None:
    for casing in order:
        if casing not in CASINGS:
            raise PipelineInputError(f"unknown casing {casing!r}: use {sorted(CASINGS)}")
        form = CASINGS[casing](word)
        if form in vocab:
            return form
    return None


def stop_words(lang: str) -> set[str]:
    """spaCy's stop-word list for a language (empty set, with a warning, if it has none)."""
    try:
        module = importlib.import_module(f"spacy.lang.{lang}.stop_words")
    except ImportError:
        log.warning("no stop-word list for %s: stop-word filter does nothing there", lang)
        return set()
    return {w.lower() for w in module.STOP_WORDS}


def whole_word_vocab(plm_vocab: dict[str, int], special_tokens: set[str]) -> dict[str, int]:
    """PLM tokens that are whole words: no WordPiece '##' continuation, no specials."""
    return {t: i for t, i in plm_vocab.items() if not t.startswith("##") and t not in special_tokens}


def select_anchors(
    pairs: list[tuple[str, str]],
    plm_vocab: dict[str, int],
    target_index: dict[str, int],
    lang: str,
    english_casing: list[str],
    target_casing: list[str],
    one_per_target: str = "most_frequent_english",
    stop_word_filter: bool = False,
    min_length: int = 1,
    alphabetic_only: bool = False,
    max_target_rank: int | None = None,
    held_out_share: float = 0.0,
    strategy: str = "all",
    n: int | None = None,
    seed: int = 0,
    target_matrix: np.ndarray | None = None,
    english_rank: dict[str, float] | None = None,
    beyond_top_n: set[str] | None = None,
    excluded: tuple[set[int], set[int]] | None = None,
) -> tuple[list[Anchor], list[Anchor], dict]:
    """Return (anchors, held-out pairs, counts after each step). Anchors are ordered by
    target frequency row, so both sides share one deterministic order. The held-out pairs
    are every dictionary translation of a held-out target word that is not an anchor's
    English word (the lexicon-induction gold).

    `beyond_top_n`: the vector file's words that the `vectors.top_n` cap dropped; pairs
    whose target word is only there are counted as lost to that frequency filter (the
    paper applied none). Held-out pairs (for the lexicon-induction diagnostic) share
    neither their target word nor their English word with any anchor, as MUSE's
    train/test split keeps its source words disjoint. The held-out split is drawn before
    the optional filters (stop words, lengths, ranks) and the subsampling, so every anchor
    set selected with the same seed and share holds out the same pairs: a sweep's subsets
    and the main set are compared on equal terms.

    `one_per_target: one_to_one` also keeps English words apart: each English word anchors
    at most one target word (most frequent target first, each taking its most frequent
    English translation not yet taken). The held-out split is drawn as for
    most_frequent_english, so the held-out gold is the main set's.

    `excluded`: (target rows, PLM token ids) no anchor may use, for a dictionary that holds
    out nothing itself (the induced one keeps the real dictionary's held-out words out)."""
    stats: dict = {"language": lang, "dictionary_pairs": len(pairs)}
    matched: list[Anchor] = []
    lost_words: set[str] = set()
    lost_pairs = 0
    for english, target in pairs:
        token = _first_match(english, plm_vocab, english_casing)
        word = _first_match(target, target_index, target_casing)
        if token is not None and word is not None:
            matched.append(Anchor(token, plm_vocab[token], word, target_index[word]))
        elif token is not None and beyond_top_n and (lost := _first_match(target, beyond_top_n, target_casing)):
            lost_pairs += 1
            lost_words.add(lost)
    stats["in_plm_and_target_vocab"] = len(matched)
    if beyond_top_n is not None:
        stats["pairs_lost_to_vectors_top_n"] = lost_pairs
        stats["target_words_lost_to_vectors_top_n"] = len(lost_words)

    translations = list(dict.fromkeys(matched))  # every pair: the held-out gold accepts each
    if excluded is not None:
        rows, tokens = excluded
        matched = [a for a in matched if a.target_row not in rows and a.token_id not in tokens]
        stats["after_excluding_held_out_words"] = len(dict.fromkeys(matched))
    one_to_one = one_per_target == "one_to_one"
    matched = _one_per_target(matched, "most_frequent_english" if one_to_one else one_per_target, english_rank)
    stats["after_one_translation_per_target"] = len(matched)

    rng = random.Random(seed)
    held_out: list[Anchor] = []
    held_rows: set[int] = set()
    if held_out_share > 0:
        # Hold out whole target words, then drop every anchor that shares an English word
        # with a held-out pair: otherwise the gold answer stays an anchor (a leak).
        targets = sorted({a.target_row for a in matched})
        rng.shuffle(targets)
        held_rows = set(targets[: round(held_out_share * len(targets))])
        held_out = sorted((a for a in matched if a.target_row in held_rows), key=lambda a: (a.target_row, a.token_id))
        held_english = {a.token_id for a in held_out}
        kept = [a for a in matched if a.target_row not in held_rows]
        matched = [a for a in kept if a.token_id not in held_english]
        stats["held_out"] = len(held_out)
        stats["held_out_english_words"] = len(held_english)
        stats["anchors_removed_sharing_held_out_english"] = len(kept) - len(matched)
    # The English words that may still serve as anchors, before any optional filter: the
    # same for every anchor set selected with this seed and share.
    pool_tokens = {a.token_id for a in matched}
    if one_to_one:
        # Any translation of a word not held out, but no English word that translates a
        # held-out word (the gold stays out of the anchors, as above).
        gold_tokens = {a.token_id for a in translations if a.target_row in held_rows}
        if excluded is not None:
            gold_tokens |= excluded[1]
        allowed = [
            a
            for a in translations
            if a.target_row not in held_rows
            and a.token_id not in gold_tokens
            and (excluded is None or a.target_row not in excluded[0])
        ]
        matched = _one_to_one(allowed, english_rank)
        stats["after_one_to_one"] = len(matched)

    if stop_word_filter:
        english_stops, target_stops = stop_words("en"), stop_words(lang)
        matched = [
            a for a in matched if a.english.lower() not in english_stops and a.target.lower() not in target_stops
        ]
        stats["after_stop_words"] = len(matched)
    if min_length > 1:
        matched = [a for a in matched if len(a.english) >= min_length and len(a.target) >= min_length]
        stats["after_min_length"] = len(matched)
    if alphabetic_only:
        matched = [a for a in matched if a.english.isalpha() and a.target.isalpha()]
        stats["after_alphabetic_only"] = len(matched)
    if max_target_rank is not None:
        matched = [a for a in matched if a.target_row < max_target_rank]
        stats["after_max_target_rank"] = len(matched)

    anchors = _subsample(matched, strategy, n, rng, target_matrix)
    stats["subsample"] = {"strategy": strategy, "n": n}
    anchors.sort(key=lambda a: (a.target_row, a.token_id))
    if held_out:
        # A held-out word is translated correctly by any of its dictionary translations
        # that cannot be an anchor (one gold word per target undercounts); the anchor pool
        # before the optional filters decides, so every anchor set scores the same pairs.
        held_out = sorted(
            (a for a in translations if a.target_row in held_rows and a.token_id not in pool_tokens),
            key=lambda a: (a.target_row, a.token_id),
        )
        stats["held_out_gold_pairs"] = len(held_out)
    stats["anchors"] = len(anchors)
    stats["distinct_english_anchors"] = len({a.token_id for a in anchors})
    if not anchors:
        raise PipelineInputError(
            f"no anchor left for {lang}: the dictionary and the vocabularies share no pair after "
            "filtering; check the dictionary's direction, the casing order and the filters"
        )
    return anchors, held_out, stats


def _one_per_target(anchors: list[Anchor], policy: str, english_rank: dict[str, float] | None) -> list[Anchor]:
    if policy == "all":
        return list(dict.fromkeys(anchors))
    chosen: dict[int, Anchor] = {}
    for anchor in anchors:
        current = chosen.get(anchor.target_row)
        if current is None:
            chosen[anchor.target_row] = anchor
        elif policy == "most_frequent_english":
            rank = english_rank or {}
            if rank.get(anchor.english.lower(), 0.0) > rank.get(current.english.lower(), 0.0):
                chosen[anchor.target_row] = anchor
        elif policy != "first":
            raise PipelineInputError(
                f"unknown one-translation policy {policy!r}: use first, most_frequent_english, one_to_one, all"
            )
    return list(chosen.values())


def _one_to_one(pairs: list[Anchor], english_rank: dict[str, float] | None) -> list[Anchor]:
    """Greedy one-to-one pairing: target words in frequency order (vector row), each taking
    its most frequent English translation (wordfreq; ties: the lower token id) that no more
    frequent target word took; a target word whose translations are all taken is dropped."""
    rank = english_rank or {}
    by_target: dict[int, list[Anchor]] = {}
    for pair in pairs:
        by_target.setdefault(pair.target_row, []).append(pair)
    taken: set[int] = set()
    chosen = []
    for row in sorted(by_target):
        options = sorted(by_target[row], key=lambda a: (-rank.get(a.english.lower(), 0.0), a.token_id))
        pick = next((a for a in options if a.token_id not in taken), None)
        if pick is not None:
            taken.add(pick.token_id)
            chosen.append(pick)
    return chosen


def _subsample(
    anchors: list[Anchor], strategy: str, n: int | None, rng: random.Random, target_matrix: np.ndarray | None
) -> list[Anchor]:
    if strategy == "all" or n is None or n >= len(anchors):
        return list(anchors)
    if strategy == "random":
        return rng.sample(anchors, n)
    if strategy == "frequent":
        return sorted(anchors, key=lambda a: a.target_row)[:n]
    if strategy == "spread":
        return _spread(anchors, n, rng, target_matrix)
    raise PipelineInputError(f"unknown subsampling strategy {strategy!r}: use all, random, frequent, spread")


def _spread(anchors: list[Anchor], n: int, rng: random.Random, target_matrix: np.ndarray | None) -> list[Anchor]:
    """k-means over the anchors' target vectors; keep the anchor nearest each centroid."""
    faiss = load_faiss()
    if target_matrix is None:
        raise PipelineInputError("the 'spread' strategy needs the target vectors")
    points = np.ascontiguousarray(target_matrix[[a.target_row for a in anchors]], dtype=np.float32)
    faiss.normalize_L2(points)
    kmeans = faiss.Kmeans(points.shape[1], n, niter=20, seed=rng.randrange(2**31), verbose=False)
    kmeans.train(points)
    index = faiss.IndexFlatIP(points.shape[1])
    index.add(points)
    _, nearest = index.search(kmeans.centroids, 1)
    chosen = list(dict.fromkeys(int(i) for i in nearest[:, 0]))
    return [anchors[i] for i in chosen]


def write_anchors(path, anchors: list[Anchor]) -> None:
    from mosecrot.io import write_text

    write_text(
        path,
        "english\ttoken_id\ttarget\ttarget_row\n"
        + "".join(f"{a.english}\t{a.token_id}\t{a.target}\t{a.target_row}\n" for a in anchors),
    )


def read_anchors(path) -> list[Anchor]:
    from pathlib import Path

    lines = Path(path).read_text(encoding="utf-8").splitlines()[1:]
    out = []
    for line in lines:
        english, token_id, target, row = line.split("\t")
        out.append(Anchor(english, int(token_id), target, int(row)))
    return out
