"""Static word vectors: a fast, defect-tolerant .vec reader, .bin (fastText) and spaCy
tables, and the memory-mappable cache (.npy + vocabulary) every later rule loads.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import re
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mosecrot.io import PipelineInputError, atomic_path, progress, write_json

log = logging.getLogger(__name__)

BLOCK_BYTES = 12 << 20  # 3 blocks in flight: peak stays under 2x the matrix (bench)
_UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass
class VectorStats:
    """What the reader kept and skipped, with the reason for each skip."""

    path: str
    header_rows: int = 0
    dim: int = 0
    top_n: int | None = None
    lines_read: int = 0
    kept: int = 0
    skipped: dict[str, int] = field(
        default_factory=lambda: {
            "duplicate_word": 0,
            "wrong_length_or_not_numeric": 0,
            "tab_in_word": 0,
            "undecodable_word": 0,
            "zero_vector": 0,
            "empty_word": 0,
        }
    )
    missing_final_newline: bool = False
    beyond_top_n: int = 0


@dataclass
class Vectors:
    """A vocabulary (frequency order) and its float32 matrix (rows aligned)."""

    words: list[str]
    matrix: np.ndarray
    beyond_top_n: list[str] = field(default_factory=list)  # words the top_n cap dropped

    def index(self) -> dict[str, int]:
        return {word: row for row, word in enumerate(self.words)}


# --------------------------------------------------------------------------- .vec reader


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _blocks(handle, first: bytes) -> Iterator[bytes]:
    """Yield blocks of whole lines (the last one may lack its newline)."""
    carry = first
    while True:
        try:
            chunk = handle.read(BLOCK_BYTES)
        except EOFError as error:
            raise _Truncated(str(error)) from error
        if not chunk:
            if carry:
                yield carry
            return
        chunk = carry + chunk
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            carry = chunk
            continue
        carry = chunk[cut:]
        yield chunk[:cut]


class _Truncated(Exception):
    pass


def _take_lines(block: bytes, n: int) -> bytes:
    """The first n lines of block."""
    end = 0
    for _ in range(n):
        newline = block.find(b"\n", end)
        if newline < 0:
            return block
        end = newline + 1
    return block[:end]


def _line_count(block: bytes) -> int:
    """Lines in a block of whole lines (the file's last line may lack its newline)."""
    return block.count(b"\n") + (0 if block.endswith(b"\n") else 1)


def _parse_block_polars(block: bytes, lines: int, dim: int, n_cols: int):
    """polars' CSV parser on a block of clean lines (2.3x pyarrow's and several times
    pandas' C parser on 300 float columns, correctly rounded to float32); None when the
    block has any defect (a non-number, a short or long line, an empty or undecodable
    word, a blank line): pandas then parses it and counts every defect."""
    import polars as pl

    schema = {"word": pl.String, **{f"v{i}": pl.Float32 for i in range(dim)}}
    schema.update({f"extra{i}": pl.String for i in range(n_cols - dim - 1)})  # fastText's trailing space
    try:
        frame = pl.read_csv(block, has_header=False, separator=" ", quote_char=None, schema=schema)
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        return None
    values = frame.select(pl.nth(range(1, dim + 1)))
    if len(frame) != lines or frame["word"].null_count() or any(values.null_count().row(0)):
        return None
    words = np.array(frame["word"].to_list(), dtype=object)
    problem = np.fromiter(map(_word_problem, words), dtype=np.int8, count=len(words))
    return words, values.to_numpy(), 0, problem


def _parse_block(block: bytes, lines: int, dim: int, n_cols: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """Parse whole lines into (words, float32 rows, rows rejected as malformed, word
    problems): polars' parser when the block is clean, else pandas' (slower, but it turns
    every defect into a counted row)."""
    parsed = _parse_block_polars(block, lines, dim, n_cols)
    return parsed if parsed is not None else _parse_block_pandas(block, lines, dim, n_cols)


def _parse_block_pandas(
    block: bytes, lines: int, dim: int, n_cols: int
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    float_cols = list(range(1, n_cols))
    common = dict(
        sep=" ",
        header=None,
        names=list(range(n_cols)),
        quoting=csv.QUOTE_NONE,
        engine="c",
        # float32 output: the fast parser's last-bit error on a double is invisible.
        float_precision="legacy",
        on_bad_lines="skip",
        keep_default_na=False,
        na_values={col: [""] for col in float_cols},
        encoding="utf-8",
        encoding_errors="surrogateescape",
        skip_blank_lines=True,
    )
    with warnings.catch_warnings():
        # pandas 3 deprecates float_precision; pinned here, it still gives the faster parser.
        warnings.simplefilter("ignore")
        frame = pd.read_csv(io.BytesIO(block), dtype={0: object}, **common)
    # A non-number in a column makes it text: coerce, so only those rows become NaN (skipped).
    columns = [
        frame[c] if pd.api.types.is_numeric_dtype(frame[c]) else pd.to_numeric(frame[c], errors="coerce")
        for c in frame.columns[1 : dim + 1]
    ]
    # A (dim, n) stack of contiguous columns transposes far faster than DataFrame.to_numpy.
    stacked = np.stack([column.to_numpy(np.float32, na_value=np.nan) for column in columns])
    rows = np.ascontiguousarray(stacked.T)
    rejected = lines - block.count(b"\n\n") - len(frame)
    words = frame[0].to_numpy(dtype=object, na_value="")
    problem = np.fromiter(map(_word_problem, words), dtype=np.int8, count=len(words))
    return words, rows, rejected, problem


def read_vec(
    path: str | Path, top_n: int | None = None, expected_dim: int | None = None, threads: int = 2
) -> tuple[Vectors, VectorStats]:
    """Read a fastText .vec(.gz) file, keeping at most `top_n` rows (frequency order).

    Tolerated and counted: duplicate words (first kept), lines of the wrong length or
    with non-numbers, a tab inside a word, undecodable bytes in a word, zero vectors,
    a truncated last line. Fatal, with a message naming the file: an empty file, a bad
    header, a header that promises more rows than the file holds, a dimension other
    than `expected_dim`, a truncated gzip stream.
    """
    path = Path(path)
    stats = VectorStats(path=str(path), top_n=top_n)
    if not path.is_file():
        raise PipelineInputError(f"{path}: vector file not found; run the download rule or fix the path")
    try:
        with _open_bytes(path) as handle:
            header, first = _read_header(handle, path)
            stats.header_rows, stats.dim = header
            if expected_dim is not None and stats.dim != expected_dim:
                raise PipelineInputError(
                    f"{path}: line 1 says dimension {stats.dim} but the config expects {expected_dim}; "
                    "fix 'dim' in the config or use the right file"
                )
            wanted = stats.header_rows if top_n is None else min(top_n, stats.header_rows)
            vectors = _read_body(handle, first, path, wanted, stats, threads)
    except _Truncated as error:
        raise PipelineInputError(
            f"{path}: the gzip stream is truncated ({error}); delete the file and download it again"
        ) from None
    except (OSError, gzip.BadGzipFile) as error:
        raise PipelineInputError(f"{path}: cannot read ({error}); download it again") from None
    return vectors, stats


def _read_header(handle, path: Path) -> tuple[tuple[int, int], bytes]:
    try:
        first = handle.read(1 << 16)
    except EOFError:
        raise _Truncated("stream ends inside the header") from None
    if not first.strip():
        raise PipelineInputError(f"{path}: the file is empty; download it again")
    first = first.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark is not part of the header
    line, _, rest = first.partition(b"\n")
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[1]) == 0:
        raise PipelineInputError(f"{path}: line 1 must be '<n_words> <dim>', found {line[:60]!r}; is this a .vec file?")
    return (int(parts[0]), int(parts[1])), rest


def _read_body(handle, first: bytes, path: Path, wanted: int, stats: VectorStats, threads: int) -> Vectors:
    dim = stats.dim
    matrix = np.empty((wanted, dim), dtype=np.float32)
    words: list[str] = []
    seen: set[str] = set()
    n_cols = None
    remaining = wanted
    leftover = b""
    source = _blocks(handle, first)  # also read on after the cap, for the words beyond it

    def limited_blocks() -> Iterator[tuple[bytes, int]]:
        nonlocal remaining, n_cols, leftover
        for block in source:
            if remaining <= 0:
                leftover = block
                return
            lines = _line_count(block)
            if lines > remaining:
                head = _take_lines(block, remaining)
                leftover, block, lines = block[len(head) :], head, remaining
            stats.lines_read += lines
            remaining -= lines
            if not block.endswith(b"\n"):  # only the file's last block can end so
                stats.missing_final_newline = True
            if n_cols is None:
                first_line = block.split(b"\n", 1)[0]
                # fastText writes a trailing space: one empty extra field per line.
                n_cols = dim + 2 if first_line.endswith(b" ") else dim + 1
            yield block, lines

    # The parsers release the GIL: blocks parse in parallel threads while this thread
    # appends finished blocks in file order (duplicates: first occurrence wins).
    workers = max(1, threads)
    with ThreadPoolExecutor(workers) as pool:
        pending = []
        block_iter = progress(limited_blocks(), desc=f"{path.name}: blocks parsed", unit="block")
        for block, lines in block_iter:
            pending.append(pool.submit(_parse_block, block, lines, dim, n_cols))
            if len(pending) > workers:  # one block queued ahead keeps every worker busy
                _absorb(pending.pop(0).result(), matrix, words, seen, stats)
        for future in pending:
            _absorb(future.result(), matrix, words, seen, stats)

    if stats.lines_read < wanted:
        raise PipelineInputError(
            f"{path}: the header promises {stats.header_rows} rows but the file ends after "
            f"{stats.lines_read}; the file is truncated, download it again"
        )
    bad = stats.skipped["wrong_length_or_not_numeric"]
    if bad > stats.lines_read // 2:
        raise PipelineInputError(
            f"{path}: {bad} of {stats.lines_read} lines do not hold {dim} numbers as the header "
            "says; wrong dimension in line 1 or not a .vec file"
        )
    if stats.kept == 0:
        raise PipelineInputError(f"{path}: no usable vector of dimension {dim}; check the file format")
    beyond = _words_beyond(source, leftover, set(words)) if stats.header_rows > wanted else []
    stats.beyond_top_n = len(beyond)
    return Vectors(words=words, matrix=matrix[: stats.kept], beyond_top_n=beyond)


def _words_beyond(source: Iterator[bytes], leftover: bytes, kept: set[str]) -> list[str]:
    """The words after the top_n cap (first field of each remaining line; vectors are not
    parsed): anchor selection counts the dictionary pairs this frequency filter loses."""
    beyond: list[str] = []
    for block in (leftover, *source):
        for line in block.split(b"\n"):
            word = line.split(b" ", 1)[0].decode("utf-8", errors="replace")
            if word and word not in kept:
                beyond.append(word)
    return list(dict.fromkeys(beyond))


def _word_problem(word: str) -> int:
    """0 usable, 1 empty, 2 tab inside, 3 undecodable bytes (kept as surrogates on read)."""
    if not word:
        return 1
    if "\t" in word:
        return 2
    if not word.isascii() and _UNDECODABLE.search(word):
        return 3
    return 0


def _absorb(parsed, matrix, words, seen, stats: VectorStats) -> None:
    """Append a parsed block's valid rows to the output, counting every rejection."""
    block_words, rows, rejected, problem = parsed
    skipped = stats.skipped
    finite = np.isfinite(rows).all(axis=1)
    skipped["wrong_length_or_not_numeric"] += rejected + int((~finite).sum())
    nonzero = np.abs(rows).sum(axis=1) > 0
    skipped["zero_vector"] += int((finite & ~nonzero).sum())
    ok = finite & nonzero
    for code, reason in ((1, "empty_word"), (2, "tab_in_word"), (3, "undecodable_word")):
        skipped[reason] += int((ok & (problem == code)).sum())
    candidate = ok & (problem == 0)
    candidate_words = block_words[candidate]
    remember = seen.add
    # First occurrence wins, within the block and against earlier blocks.
    first = np.fromiter(
        (not (w in seen or remember(w)) for w in candidate_words), dtype=bool, count=len(candidate_words)
    )
    skipped["duplicate_word"] += int((~first).sum())
    if candidate.all() and first.all():  # the common case: no copies
        kept_words, kept_rows = candidate_words.tolist(), rows
    else:
        kept_words, kept_rows = candidate_words[first].tolist(), rows[candidate][first]
    matrix[stats.kept : stats.kept + len(kept_words)] = kept_rows
    stats.kept += len(kept_words)
    words.extend(kept_words)


# --------------------------------------------------------------------------- .bin (fastText)


def read_fasttext_bin(path: str | Path, top_n: int | None = None) -> tuple[Vectors, VectorStats]:
    """Vocabulary (frequency order, capped) and vectors of a fastText .bin model."""
    import fasttext

    path = Path(path)
    if not path.is_file():
        raise PipelineInputError(f"{path}: fastText model not found; run the download rule or fix the path")
    try:
        model = fasttext.load_model(str(path))
    except ValueError as error:
        raise PipelineInputError(f"{path}: not a fastText .bin model ({error}); download it again") from None
    every_word = model.get_words()
    words = every_word[:top_n] if top_n else every_word
    beyond = every_word[top_n:] if top_n else []
    stats = VectorStats(
        path=str(path), header_rows=len(every_word), dim=model.get_dimension(), top_n=top_n, beyond_top_n=len(beyond)
    )
    matrix = np.stack([model.get_word_vector(w) for w in words]).astype(np.float32)
    nonzero = np.abs(matrix).sum(axis=1) > 0
    stats.skipped["zero_vector"] = int((~nonzero).sum())
    kept = [w for w, ok in zip(words, nonzero) if ok]
    stats.lines_read, stats.kept = len(words), len(kept)
    return Vectors(words=kept, matrix=np.ascontiguousarray(matrix[nonzero]), beyond_top_n=beyond), stats


def decompress(source: str | Path, out: str | Path) -> None:
    """Decompress a .gz file atomically (fastText loads only plain .bin files)."""
    import shutil

    try:
        with atomic_path(out) as tmp, gzip.open(source, "rb") as compressed, open(tmp, "wb") as plain:
            shutil.copyfileobj(compressed, plain, 1 << 24)
    except (EOFError, OSError) as error:
        raise PipelineInputError(f"{source}: cannot decompress ({error}); delete it and download it again") from None


class SubwordVectors:
    """Vectors for any word (out-of-vocabulary too) from a fastText .bin model."""

    def __init__(self, path: str | Path):
        import fasttext

        self.model = fasttext.load_model(str(path))

    def __call__(self, words: list[str]) -> np.ndarray:
        return np.stack([self.model.get_word_vector(w) for w in words]).astype(np.float32)


# --------------------------------------------------------------------------- spaCy tables


def export_spacy_vectors(vocab_dir: str | Path, lang: str, out_path: str | Path, top_n: int | None) -> dict:
    """Write a spaCy vector table as a frequency-ordered fastText .vec file.

    "default" tables map many keys onto shared rows: keep one key per row, the most
    frequent lowercase alphabetic one (wordfreq). "floret" tables hash character
    n-grams and give a vector for any word: export wordfreq's top words.
    """
    from spacy.strings import StringStore
    from spacy.vectors import Vectors as SpacyVectors
    from wordfreq import top_n_list, zipf_frequency

    vocab_dir = Path(vocab_dir)
    if not (vocab_dir / "vectors").exists():
        raise PipelineInputError(f"{vocab_dir}: no spaCy vector table here; is the package installed?")
    config = json.loads((vocab_dir / "vectors.cfg").read_text())
    mode = config.get("mode", "default")
    if mode == "floret":
        # Floret tables need their hashing settings at construction, not from from_disk.
        settings = {k: v for k, v in config.items() if k != "attr"}
        table = SpacyVectors(data=np.load(vocab_dir / "vectors"), **settings)
    else:
        table = SpacyVectors(mode=mode)
        table.from_disk(vocab_dir)
    if mode == "floret":
        if top_n is None:
            raise PipelineInputError(
                f"{vocab_dir}: a floret table gives a vector for any word; "
                "set vectors.top_n to choose how many to export"
            )
        candidates = [w for w in top_n_list(lang, top_n * 2) if w.isalpha() and w == w.lower()]
        words = candidates[:top_n]
        matrix = np.asarray(table.get_batch(words), dtype=np.float32)
    else:
        strings = StringStore().from_disk(vocab_dir / "strings.json")
        best: dict[int, tuple[float, str]] = {}
        for key, row in table.key2row.items():
            word = strings[key] if key in strings else None  # noqa: SIM401 (StringStore has no .get)
            if not word or not word.isalpha() or word != word.lower():
                continue
            score = (zipf_frequency(word, lang), word)
            if row not in best or score > best[row]:
                best[row] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1]))[:top_n]
        words = [word for _, (_, word) in ranked]
        data = np.asarray(table.data, dtype=np.float32)
        matrix = data[[row for row, _ in ranked]]
    write_vec(out_path, words, matrix)
    return {"mode": mode, "rows": len(words), "dim": int(matrix.shape[1]), "source": str(vocab_dir)}


def write_vec(path: str | Path, words: list[str], matrix: np.ndarray) -> None:
    """Write fastText .vec text (header, then 'word v1 ... vd' per line), atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as out:
        out.write(f"{len(words)} {matrix.shape[1]}\n")
        for word, row in zip(words, matrix):
            out.write(word + " " + " ".join(f"{x:.5f}" for x in row) + "\n")


# --------------------------------------------------------------------------- cache


def write_words(path: str | Path, words: list[str]) -> None:
    """One word per line (read back by read_vocab)."""
    with atomic_path(path) as tmp:
        tmp.write_text("".join(word + "\n" for word in words), encoding="utf-8")


def save_cache(vectors: Vectors, matrix_path: str | Path, vocab_path: str | Path, beyond_path: str | Path = "") -> None:
    """Cache as a memory-mappable .npy plus one word per line (and the words beyond top_n)."""
    with atomic_path(matrix_path) as tmp, open(tmp, "wb") as handle:
        np.save(handle, np.ascontiguousarray(vectors.matrix, dtype=np.float32))
    write_words(vocab_path, vectors.words)
    if beyond_path:
        write_words(beyond_path, vectors.beyond_top_n)


def read_vocab(vocab_path: str | Path) -> list[str]:
    """The cached vocabulary: one word per line, in matrix row order."""
    return Path(vocab_path).read_text(encoding="utf-8").split("\n")[:-1]


def read_vocab_index(vocab_path: str | Path) -> dict[str, int]:
    """The cached vocabulary as word -> matrix row."""
    return {word: row for row, word in enumerate(read_vocab(vocab_path))}


def load_cache(matrix_path: str | Path, vocab_path: str | Path, mmap: bool = True) -> Vectors:
    matrix = np.load(matrix_path, mmap_mode="r" if mmap else None)
    words = read_vocab(vocab_path)
    if len(words) != matrix.shape[0]:
        raise PipelineInputError(
            f"{vocab_path}: {len(words)} words for {matrix.shape[0]} rows in {matrix_path}; "
            "delete both and rerun the cache rule"
        )
    return Vectors(words=words, matrix=matrix)


def load_any(
    path: str | Path, fmt: str, top_n: int | None, expected_dim: int | None, threads: int = 2
) -> tuple[Vectors, VectorStats]:
    """Read vectors in the configured format: 'vec' (plain or .gz) or 'bin'."""
    if fmt == "vec":
        return read_vec(path, top_n=top_n, expected_dim=expected_dim, threads=threads)
    if fmt == "bin":
        return read_fasttext_bin(path, top_n=top_n)
    raise PipelineInputError(f"unknown vector format {fmt!r}: use 'vec' or 'bin'")


def write_stats(path: str | Path, stats: VectorStats, **extra) -> None:
    from dataclasses import asdict

    write_json(path, {**asdict(stats), **extra})
