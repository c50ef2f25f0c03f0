"""Stage 2 (rules/data.smk): vectors cache, dictionaries, datasets."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from mosecrot import datasets, lexicon, plan, vectors
from mosecrot.io import write_json

log = logging.getLogger(__name__)


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
        # Extra test sentences for target languages only: the English sets stay as they are.
        frame = datasets.intents_from_spec(spec, lang, extra_test=lang != plan.SOURCE_LANG)
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
