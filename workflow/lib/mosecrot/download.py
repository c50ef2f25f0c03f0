"""Download files atomically with retries, size/sha256 manifests and checksum checks.

URLs come from presets (templates filled with the language) or straight from config;
local paths are accepted as file:// URLs so user-supplied files go through the same
checks as downloads.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from mosecrot.io import PipelineInputError, sha256_file, write_json

log = logging.getLogger(__name__)

# Templates use {lang} (ISO code), {src}/{tgt} (dictionary pair) and {language_name}.
PRESETS: dict[str, str] = {
    "fasttext-wiki": "https://dl.fbaipublicfiles.com/fasttext/vectors-wiki/wiki.{lang}.vec",
    "fasttext-crawl-vec": "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/cc.{lang}.300.vec.gz",
    "fasttext-crawl-bin": "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/cc.{lang}.300.bin.gz",
    "fasttext-hf": "https://huggingface.co/facebook/fasttext-{lang}-vectors/resolve/main/model.bin",
    "muse-full": "https://dl.fbaipublicfiles.com/arrival/dictionaries/{src}-{tgt}.txt",
    "muse-train": "https://dl.fbaipublicfiles.com/arrival/dictionaries/{src}-{tgt}.0-5000.txt",
    "muse-test": "https://dl.fbaipublicfiles.com/arrival/dictionaries/{src}-{tgt}.5000-6500.txt",
    "wiktionary": "https://raw.githubusercontent.com/CPJKU/wechsel/main/dicts/data/{language_name}.txt",
    "freedict": "https://download.freedict.org/dictionaries/{src3}-{tgt3}/{version}/freedict-{src3}-{tgt3}-{version}.dictd.tar.xz",
}

# ISO 639-1 (or 639-3 where no 2-letter code exists) -> English name and 639-3 code, for
# the presets keyed by language name (Wiktionary) or by 3-letter code (FreeDict).
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("english", "eng"),
    "de": ("german", "deu"),
    "es": ("spanish", "spa"),
    "fr": ("french", "fra"),
    "fi": ("finnish", "fin"),
    "zh": ("chinese", "zho"),
    "fo": ("faroese", "fao"),
    "mt": ("maltese", "mlt"),
    "nds": ("low german", "nds"),
    "sah": ("yakut", "sah"),
    "tt": ("tatar", "tat"),
    "it": ("italian", "ita"),
    "nl": ("dutch", "nld"),
    "pt": ("portuguese", "por"),
    "sv": ("swedish", "swe"),
    "pl": ("polish", "pol"),
    "tr": ("turkish", "tur"),
    "el": ("greek", "ell"),
    "ar": ("arabic", "ara"),
    "ru": ("russian", "rus"),
    "ja": ("japanese", "jpn"),
}


def language_info(lang: str) -> tuple[str, str]:
    """(English name, ISO 639-3) for a configured language code; a clear error otherwise."""
    try:
        return LANGUAGES[lang]
    except KeyError:
        raise PipelineInputError(
            f"unknown language code {lang!r} in config: use one of {sorted(LANGUAGES)} "
            "or give the URL explicitly (url: ...) instead of a preset"
        ) from None


def resolve_url(preset: str | None = None, url: str | None = None, **fields: str) -> str:
    """The URL for a preset filled with `fields`, or `url` itself (templates allowed).

    Local paths become file:// URLs so they pass through the same download code.
    """
    if (preset is None) == (url is None):
        raise PipelineInputError("give exactly one of 'preset' or 'url'")
    if preset is not None:
        if preset not in PRESETS:
            raise PipelineInputError(f"unknown preset {preset!r}: choose one of {sorted(PRESETS)}")
        template = PRESETS[preset]
    else:
        template = url
    if "{language_name}" in template:
        fields.setdefault("language_name", language_info(fields.get("tgt") or fields["lang"])[0])
    if "{src3}" in template or "{tgt3}" in template:
        fields.setdefault("src3", language_info(fields["src"])[1])
        fields.setdefault("tgt3", language_info(fields["tgt"])[1])
    try:
        resolved = template.format(**fields)
    except KeyError as missing:
        raise PipelineInputError(f"URL template {template!r} needs field {missing}") from None
    if "://" not in resolved:
        resolved = Path(resolved).resolve().as_uri()
    return resolved


def filename_from_url(url: str) -> str:
    """The last path segment of a URL, used as the downloaded file's name."""
    return urllib.parse.urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


def download(
    url: str,
    dest: str | Path,
    manifest: str | Path | None = None,
    sha256: str | None = None,
    retries: int = 4,
    backoff_s: float = 2.0,
    timeout_s: float = 60.0,
) -> dict:
    """Fetch `url` to `dest`; verify `sha256` if given; write a manifest. Returns it.

    Bytes go to `<dest>.part` first, renamed onto `dest` only when complete (and verified):
    a rerun never trusts a half-written file. A broken transfer resumes where it stopped
    (HTTP Range), on the next attempt and on the next run of the job; a resumed file that
    fails its checksum is downloaded again from byte 0. Files on the Hugging Face hub go
    through huggingface_hub (resume, etag checks)."""
    dest = Path(dest)
    partial = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    hub = hub_file(url)
    last_error: Exception | None = None
    attempt = 0
    for attempt in range(1, retries + 1):
        try:
            if hub:
                _fetch_hub(*hub, partial)
            else:
                _fetch(url, partial, timeout_s)
            digest = sha256_file(partial)
            if sha256 and digest.lower() != sha256.lower():
                resumed = partial.stat().st_size
                partial.unlink()
                raise ChecksumError(
                    f"checksum mismatch for {url}: expected sha256 {sha256}, got {digest} ({resumed} bytes); "
                    "the file is corrupt or the config's checksum is outdated"
                )
        except ChecksumError as error:
            last_error = error
            if attempt == retries:
                raise
            log.warning("%s; downloading it again from the start", error)
            continue
        except (OSError, urllib.error.URLError) as error:
            last_error = error
            if _is_permanent(error) or attempt == retries:
                break
            wait = backoff_s * 2 ** (attempt - 1)
            log.warning("download of %s failed (%s); retry %d in %.1f s", url, error, attempt, wait)
            time.sleep(wait)
            continue
        size = partial.stat().st_size
        os.replace(partial, dest)
        record = {"url": url, "bytes": size, "sha256": digest, "sha256_verified": bool(sha256)}
        if manifest is not None:
            write_json(manifest, record)
        log.info("downloaded %s (%d bytes, sha256 %s)", url, size, digest)
        return record
    raise PipelineInputError(
        f"could not download {url} to {dest} after {attempt} attempt(s): {last_error}. "
        "Check the URL and your network, or fetch the file by hand and point the config "
        "at the local path."
    )


class ChecksumError(PipelineInputError):
    pass


class IncompleteDownload(OSError):
    pass


_HUB = re.compile(r"^https://huggingface\.co/(?P<repo>[^/]+/[^/]+)/resolve/(?P<revision>[^/]+)/(?P<path>.+)$")


def hub_file(url: str) -> tuple[str, str, str] | None:
    """(repo id, revision, path in the repo) of a Hugging Face hub file URL, else None."""
    match = _HUB.match(url)
    return (match["repo"], match["revision"], match["path"]) if match else None


def _fetch_hub(repo: str, revision: str, filename: str, partial: Path) -> None:
    from huggingface_hub import hf_hub_download

    local = hf_hub_download(repo, filename, revision=revision)  # resumes into, and checks, its cache
    shutil.copyfile(local, partial)


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, urllib.error.HTTPError):
        return 400 <= error.code < 500 and error.code not in (408, 429)
    return isinstance(error, FileNotFoundError)


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


def _fetch(url: str, partial: Path, timeout_s: float) -> None:
    """Bring `partial` to the whole file: copy a file:// URL; over HTTP, ask for the bytes
    after what `partial` already holds. Raises IncompleteDownload on a short transfer."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        source = Path(urllib.request.url2pathname(parsed.path))
        if not source.is_file():
            raise FileNotFoundError(f"local file {source} does not exist")
        shutil.copyfile(source, partial)
        return
    have = partial.stat().st_size if partial.exists() else 0
    headers = {"User-Agent": "mosecrot-pipeline"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout_s)
    except urllib.error.HTTPError as error:
        if error.code == 416 and have:  # nothing after what we have: the file is complete
            return
        raise
    with response:
        total, start = _expected_size(response, have)
        if start == 0 and have:
            log.info("%s: the server does not resume; downloading from the start", url)
        elif have:
            log.info("%s: resuming after %d bytes", url, have)
        with open(partial, "r+b" if start else "wb") as out:
            out.seek(start)
            out.truncate()
            _copy_with_progress(response, out, url, start, total)
        received = partial.stat().st_size
        if total is not None and received != total:
            raise IncompleteDownload(f"transfer interrupted: {received} of {total} bytes")


def _expected_size(response, have: int) -> tuple[int | None, int]:
    """(total size of the file, offset this response starts at)."""
    if response.status == 206:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if match and int(match[1]) == have:
            return (None if match[3] == "*" else int(match[3])), have
        raise IncompleteDownload(f"unexpected Content-Range {response.headers.get('Content-Range')!r}")
    length = response.headers.get("Content-Length")
    return (int(length) if length is not None else None), 0


def _copy_with_progress(response, out, url: str, start: int, total: int | None, every_s: float = 10.0) -> None:
    """Copy in 1 MiB chunks, logging bytes, percent and rate (the rule log shows progress)."""
    began = last = time.monotonic()
    done = start
    while chunk := response.read(1 << 20):
        out.write(chunk)
        done += len(chunk)
        now = time.monotonic()
        if now - last >= every_s:
            last = now
            share = f" ({100 * done / total:.1f}% of {total})" if total else ""
            log.info("%s: %d bytes%s, %.1f MB/s", url, done, share, (done - start) / (now - began) / 1e6)
