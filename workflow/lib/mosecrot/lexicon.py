"""Bilingual dictionaries: MUSE, TSV (Wiktionary) and dictd (FreeDict) readers.

Every reader yields (english, target) pairs; polysemous entries stay separate pairs
until anchor selection chooses. Files in the target->English direction are inverted.
"""

from __future__ import annotations

import gzip
import io
import logging
import re
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from mosecrot.io import PipelineInputError

log = logging.getLogger(__name__)

_NUMBERED = re.compile(r"^\s*\d+\.\s+(.*)$")
# An entry's first line: the headword, then pronunciations (/.../) and a part of speech (<...>).
_HEADWORD_END = re.compile(r"\s+[/<\[].*$")
_SPLIT = re.compile(r"\s*[,;]\s*")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _decode_lines(raw: bytes, path: Path) -> list[str]:
    """UTF-8 lines; a byte-order mark is dropped, never kept in the first word."""
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise PipelineInputError(
            f"{path}: line {line} is not UTF-8 ({error.reason}); convert the file to UTF-8"
        ) from None


def read_pairs_text(path: Path) -> Iterator[tuple[int, str, str]]:
    """MUSE (space separated) and TSV (tab separated) files: (line, source, target)."""
    for number, line in enumerate(_decode_lines(path.read_bytes(), path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        # Tab-separated files may hold multi-word entries; space-separated (MUSE) lines
        # must have exactly two fields, or the split is ambiguous (yielded as unusable).
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) == 2 or "\t" in line:
            yield number, parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""
        else:
            yield number, line.strip(), ""


def _b64_int(text: str) -> int:
    value = 0
    for char in text:
        value = value * 64 + _B64.index(char)
    return value


def _dictd_files(path: Path) -> tuple[bytes, bytes]:
    """(index bytes, decompressed dict bytes) from a FreeDict tarball or an .index path."""
    if path.name.endswith((".tar.xz", ".tar.gz", ".tar.bz2", ".tar")):
        with tarfile.open(path) as archive:
            files = [m for m in archive.getmembers() if m.isfile()]
            index = next((m for m in files if m.name.endswith(".index")), None)
            data = next((m for m in files if m.name.endswith(".dict.dz")), None)
            if index is None or data is None:
                raise PipelineInputError(f"{path}: no .index and .dict.dz inside; is this a FreeDict dictd tarball?")
            return archive.extractfile(index).read(), gzip.decompress(archive.extractfile(data).read())
    data_path = path.with_suffix(".dict.dz")
    if not data_path.exists():
        raise PipelineInputError(f"{path}: {data_path.name} is missing beside the index")
    return path.read_bytes(), gzip.decompress(data_path.read_bytes())


def read_pairs_dictd(path: Path) -> Iterator[tuple[int, str, str]]:
    """FreeDict dictd: headword -> translations. The headword comes from the entry body:
    the .index copy is stripped of punctuation by dictfmt (quelqu'un -> quelquun,
    faire-part -> fairepart). Wiktionary-derived editions alternate translation and gloss
    lines: only numbered sense lines, or the first line, are translations."""
    try:
        index_bytes, data = _dictd_files(path)
    except (OSError, EOFError, tarfile.TarError) as error:
        raise PipelineInputError(f"{path}: cannot read the dictd archive ({error}); download it again") from None
    for number, line in enumerate(_decode_lines(index_bytes, path), start=1):
        fields = line.split("\t")
        if len(fields) != 3:
            raise PipelineInputError(f"{path}: index line {number} has {len(fields)} fields, expected 3")
        index_word, offset, length = fields
        if index_word.startswith("00") or not index_word.strip():
            continue
        start = _b64_int(offset)
        entry = data[start : start + _b64_int(length)].decode("utf-8", errors="replace").splitlines()
        if not entry:
            continue
        headword, body = _HEADWORD_END.sub("", entry[0]).strip(), entry[1:]
        numbered = [m.group(1) for m in map(_NUMBERED.match, body) if m]
        lines = numbered or body[:1]
        for sense in lines:
            for translation in _SPLIT.split(sense):
                translation = translation.strip()
                if translation and headword:
                    yield number, headword, translation


READERS = {"muse": read_pairs_text, "tsv": read_pairs_text, "dictd": read_pairs_dictd}


def is_single_word(text: str) -> bool:
    return bool(text) and not any(ch.isspace() for ch in text) and any(ch.isalpha() for ch in text)


def read_lexicon(sources: Iterable[dict], lang: str) -> tuple[list[tuple[str, str, str]], dict]:
    """Merge dictionary files into unique (english, target, file) pairs, first seen kept.

    Each source is {"path", "format", "direction"} with direction "en-tgt" or "tgt-en".
    """
    pairs: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    stats: dict = {"language": lang, "files": []}
    for source in sources:
        path = Path(source["path"])
        fmt = source.get("format", "muse")
        if fmt not in READERS:
            raise PipelineInputError(f"{path}: unknown dictionary format {fmt!r}; use {sorted(READERS)}")
        if not path.exists():
            raise PipelineInputError(f"{path}: dictionary for {lang} not found; run the download rule or fix the path")
        inverted = source.get("direction", "en-tgt") == "tgt-en"
        file_stats = {
            "path": str(path),
            "format": fmt,
            "direction": source.get("direction", "en-tgt"),
            "entries": 0,
            "multiword_dropped": 0,
            "duplicates": 0,
            "pairs": 0,
        }
        for _, left, right in READERS[fmt](path):
            file_stats["entries"] += 1
            english, target = (right, left) if inverted else (left, right)
            if not (is_single_word(english) and is_single_word(target)):
                file_stats["multiword_dropped"] += 1
                continue
            if (english, target) in seen:
                file_stats["duplicates"] += 1
                continue
            seen.add((english, target))
            pairs.append((english, target, path.name))
            file_stats["pairs"] += 1
        stats["files"].append(file_stats)
    stats["pairs"] = len(pairs)
    stats["english_words"] = len({p[0] for p in pairs})
    stats["target_words"] = len({p[1] for p in pairs})
    if not pairs:
        raise PipelineInputError(
            f"no usable single-word pair in the {lang} dictionary ({', '.join(f['path'] for f in stats['files'])}); "
            "check the format and direction in the config"
        )
    return pairs, stats


def write_lexicon_tsv(path: Path, pairs: list[tuple[str, str, str]]) -> None:
    from mosecrot.io import write_text

    write_text(path, "english\ttarget\tsource\n" + "".join(f"{e}\t{t}\t{s}\n" for e, t, s in pairs))


def read_lexicon_tsv(path: Path) -> list[tuple[str, str]]:
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()[1:]
    return [tuple(line.split("\t")[:2]) for line in lines if line]


def debian_dictd_dir(project_dir: str | Path) -> Path:
    """Debian's dictd folder, or the copy `make setup` unpacks into .venv without root."""
    local = Path(project_dir) / ".venv" / "share" / "dictd"
    return local if local.exists() else Path("/usr/share/dictd")


def pack_dictd(index_path: Path, out_path: Path) -> None:
    """Pack a dictd .index/.dict.dz pair into the tarball layout FreeDict publishes."""
    from mosecrot.io import atomic_path

    data_path = index_path.with_suffix(".dict.dz")
    stem = index_path.stem
    with atomic_path(out_path) as tmp, tarfile.open(tmp, "w:xz") as archive:
        for file in (index_path, data_path):
            info = tarfile.TarInfo(f"{stem}/{file.name}")
            payload = file.read_bytes()
            info.size = len(payload)
            info.mtime = 0  # reproducible archive bytes
            archive.addfile(info, io.BytesIO(payload))
