"""Atomic file output, JSON helpers, checksums and provenance records."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("mosecrot")


class PipelineInputError(RuntimeError):
    """Bad or missing input: the message names the file/line/language and what to do."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only on success.

    A crash or an exception leaves no file at `path`, so a rerun never trusts a
    half-written output.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Like atomic_path, for a directory: built aside, swapped in on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def package_dir(package: str) -> Path:
    """Folder of an installed package, found without importing it (some packages'
    __init__ imports things the pipeline does not need)."""
    import importlib.util

    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise PipelineInputError(f"package {package!r} is not installed: run 'make setup' (or pip install it)")
    return Path(list(found.submodule_search_locations)[0])


def sha256_file(path: str | os.PathLike, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


_VERSIONED_PACKAGES = (
    "numpy",
    "torch",
    "transformers",
    "faiss",
    "sklearn",
    "pandas",
    "snakemake",
)


def package_versions() -> dict[str, str]:
    """Versions of the packages that can change a number, for provenance records."""
    versions = {"python": platform.python_version()}
    for name in _VERSIONED_PACKAGES:
        module = sys.modules.get(name)
        if module is None:
            continue
        versions[name] = getattr(module, "__version__", "unknown")
    from mosecrot import __version__

    versions["mosecrot"] = __version__
    return versions


def provenance(**settings: Any) -> dict[str, Any]:
    """The record every result carries: the settings that produced it and versions."""
    return {
        "settings": settings,
        "versions": package_versions(),
        "host": platform.node(),
    }


def setup_logging(log_path: str | os.PathLike | None = None) -> None:
    """Log to the rule's log file (and stderr), as every rule script does first."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def progress(items, desc: str, unit: str = "item", total: int | None = None, every_s: float = 10.0):
    """Iterate `items`, logging 'desc: i/total unit (rate)' every `every_s` seconds and at
    the end. A log line, not a terminal bar: it reaches the rule's log file under Slurm,
    where tqdm switches itself off (stderr is no terminal)."""
    import time

    total = total if total is not None else (len(items) if hasattr(items, "__len__") else None)
    started = last = time.monotonic()
    done = 0
    of = f"/{total}" if total is not None else ""
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if now - last >= every_s:
            last = now
            log.info("%s: %d%s %s (%.1f %s/s)", desc, done, of, unit, done / (now - started), unit)
    elapsed = time.monotonic() - started
    if elapsed >= every_s:
        log.info("%s: %d%s %s in %.1f s", desc, done, of, unit, elapsed)


def run_rule(log_path: str, func, **kwargs) -> None:
    """Entry point of every rule script: log to the rule's log; bad input becomes a
    one-line error (no traceback), anything unexpected (CUDA out of memory, a bug) is
    logged with its traceback, so the rule's log file always says why the job failed."""
    setup_logging(log_path)
    try:
        func(**kwargs)
    except PipelineInputError as error:
        log.error("%s", error)
        sys.exit(f"error: {error}")
    except BaseException as error:  # noqa: BLE001 - logged, then re-raised
        if not isinstance(error, SystemExit | KeyboardInterrupt):
            log.exception("unexpected error in %s", getattr(func, "__name__", func))
        raise
