import http.server
import json
import socket
import threading
from pathlib import Path

import pytest
from mosecrot.download import PRESETS, download, resolve_url
from mosecrot.io import PipelineInputError, sha256_file


@pytest.mark.parametrize(
    ("preset", "fields", "expected"),
    [
        ("fasttext-wiki", {"lang": "de"}, "https://dl.fbaipublicfiles.com/fasttext/vectors-wiki/wiki.de.vec"),
        (
            "fasttext-crawl-vec",
            {"lang": "mt"},
            "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/cc.mt.300.vec.gz",
        ),
        (
            "fasttext-crawl-bin",
            {"lang": "tt"},
            "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/cc.tt.300.bin.gz",
        ),
        ("fasttext-hf", {"lang": "nds"}, "https://huggingface.co/facebook/fasttext-nds-vectors/resolve/main/model.bin"),
        ("muse-full", {"src": "en", "tgt": "de"}, "https://dl.fbaipublicfiles.com/arrival/dictionaries/en-de.txt"),
        (
            "muse-train",
            {"src": "en", "tgt": "es"},
            "https://dl.fbaipublicfiles.com/arrival/dictionaries/en-es.0-5000.txt",
        ),
        (
            "muse-test",
            {"src": "en", "tgt": "zh"},
            "https://dl.fbaipublicfiles.com/arrival/dictionaries/en-zh.5000-6500.txt",
        ),
        (
            "wiktionary",
            {"lang": "fo", "tgt": "fo"},
            "https://raw.githubusercontent.com/CPJKU/wechsel/main/dicts/data/faroese.txt",
        ),
        (
            "freedict",
            {"src": "en", "tgt": "fr", "version": "2024.10.10"},
            "https://download.freedict.org/dictionaries/eng-fra/2024.10.10/freedict-eng-fra-2024.10.10.dictd.tar.xz",
        ),
    ],
)
def test_every_preset_resolves(preset, fields, expected):
    assert resolve_url(preset=preset, **fields) == expected


def test_presets_are_all_tested():
    assert len(PRESETS) == 9


def test_local_path_becomes_file_url(tmp_path):
    assert resolve_url(url=str(tmp_path / "x.vec")) == (tmp_path / "x.vec").resolve().as_uri()


def test_unknown_language_code_is_named():
    with pytest.raises(PipelineInputError, match="unknown language code 'xx'"):
        resolve_url(preset="wiktionary", lang="xx")


def test_file_url_download_writes_manifest(tmp_path):
    source = tmp_path / "source.txt"
    source.write_text("hello world\n")
    dest, manifest = tmp_path / "out" / "copy.txt", tmp_path / "out" / "copy.txt.manifest.json"
    record = download(source.as_uri(), dest, manifest=manifest, sha256=sha256_file(source))
    assert dest.read_text() == "hello world\n"
    assert json.loads(manifest.read_text()) == record
    assert record["bytes"] == 12 and record["sha256_verified"]


def test_missing_local_file_fails_without_output(tmp_path):
    dest = tmp_path / "copy.txt"
    with pytest.raises(PipelineInputError, match="does not exist"):
        download((tmp_path / "nothing.txt").as_uri(), dest, retries=2, backoff_s=0)
    assert not dest.exists()


def test_checksum_mismatch_leaves_nothing(tmp_path):
    source = tmp_path / "source.txt"
    source.write_text("payload")
    dest = tmp_path / "copy.txt"
    with pytest.raises(PipelineInputError, match="checksum mismatch"):
        download(source.as_uri(), dest, sha256="0" * 64)
    assert not dest.exists() and not (tmp_path / "copy.txt.part").exists()


class _Handler(http.server.BaseHTTPRequestHandler):
    payload = b"0123456789" * 1000
    calls = {"flaky": 0}
    ranges: list[str | None] = []  # Range headers of /drop.bin requests
    served = {"drop": 0}  # bytes sent for /drop.bin

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/ok.bin":
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.payload)))
            self.end_headers()
            self.wfile.write(self.payload)
        elif self.path == "/truncated.bin":  # promises the whole payload, sends half
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.payload)))
            self.end_headers()
            self.wfile.write(self.payload[: len(self.payload) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        elif self.path == "/drop.bin":  # drops the first connection midway; honours Range
            asked = self.headers.get("Range")
            self.ranges.append(asked)
            start = int(asked.removeprefix("bytes=").removesuffix("-")) if asked else 0
            body = self.payload[start:] if asked or len(self.ranges) > 1 else self.payload[:4000]
            if asked:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(self.payload) - 1}/{len(self.payload)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(self.payload) - start))
            self.end_headers()
            # counted before the write: the client may assert as soon as it has the bytes
            self.served["drop"] += len(body)
            self.wfile.write(body)
            self.wfile.flush()
            if len(body) < len(self.payload) - start:
                self.connection.shutdown(socket.SHUT_RDWR)
        elif self.path == "/flaky.bin":  # fails once, then works: retried with backoff
            self.calls["flaky"] += 1
            if self.calls["flaky"] == 1:
                self.send_error(503)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.payload)))
            self.end_headers()
            self.wfile.write(self.payload)
        else:
            self.send_error(404)


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_http_download(server, tmp_path):
    record = download(f"{server}/ok.bin", tmp_path / "ok.bin")
    assert (tmp_path / "ok.bin").read_bytes() == _Handler.payload
    assert record["bytes"] == len(_Handler.payload)


def test_http_retry_after_server_error(server, tmp_path):
    download(f"{server}/flaky.bin", tmp_path / "flaky.bin", retries=3, backoff_s=0.01)
    assert (tmp_path / "flaky.bin").stat().st_size == len(_Handler.payload)
    assert _Handler.calls["flaky"] == 2


def test_interrupted_transfer_is_never_taken_for_complete(server, tmp_path):
    dest = tmp_path / "truncated.bin"
    with pytest.raises(PipelineInputError, match="could not download"):
        download(f"{server}/truncated.bin", dest, retries=2, backoff_s=0.01)
    assert not dest.exists()


def test_http_404_is_not_retried(server, tmp_path):
    with pytest.raises(PipelineInputError, match="after 1 attempt"):
        download(f"{server}/missing.bin", tmp_path / "missing.bin", retries=3, backoff_s=5)


def test_unreachable_url(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PipelineInputError, match=f"127.0.0.1:{port}"):
        download(f"http://127.0.0.1:{port}/x.vec", tmp_path / "x.vec", retries=2, backoff_s=0.01, timeout_s=2)
    assert not Path(tmp_path / "x.vec").exists()


def test_a_dropped_connection_resumes_with_a_range_request(server, tmp_path):
    _Handler.ranges.clear()
    _Handler.served["drop"] = 0
    record = download(f"{server}/drop.bin", tmp_path / "drop.bin", retries=3, backoff_s=0.01)
    assert (tmp_path / "drop.bin").read_bytes() == _Handler.payload
    assert _Handler.ranges == [None, "bytes=4000-"]
    assert _Handler.served["drop"] == len(_Handler.payload)  # no byte sent twice
    assert record["sha256"] == sha256_file(tmp_path / "drop.bin")
    assert not (tmp_path / "drop.bin.part").exists()


def test_a_partial_file_from_an_earlier_run_is_resumed_and_checked(server, tmp_path):
    """The job was killed: its .part survives and the rerun continues it. A resumed file
    that fails its checksum (a corrupt partial) is fetched again from byte 0."""
    import hashlib

    good = hashlib.sha256(_Handler.payload).hexdigest()
    dest = tmp_path / "ok.bin"
    Path(f"{dest}.part").write_bytes(_Handler.payload[:3000])
    _Handler.ranges.clear()
    download(f"{server}/drop.bin", dest, sha256=good, retries=1)
    assert dest.read_bytes() == _Handler.payload and _Handler.ranges == ["bytes=3000-"]
    corrupt = tmp_path / "corrupt.bin"
    Path(f"{corrupt}.part").write_bytes(b"x" * 3000)
    download(f"{server}/drop.bin", corrupt, sha256=good, retries=2)
    assert corrupt.read_bytes() == _Handler.payload


def test_hub_files_go_through_huggingface_hub(tmp_path, monkeypatch):
    """A hub URL is fetched by huggingface_hub (resume, etag), then checked like any file."""
    import huggingface_hub
    from mosecrot import download as download_module

    assert download_module.hub_file("https://huggingface.co/facebook/fasttext-nds-vectors/resolve/main/model.bin") == (
        "facebook/fasttext-nds-vectors",
        "main",
        "model.bin",
    )
    assert download_module.hub_file("https://dl.fbaipublicfiles.com/fasttext/vectors-wiki/wiki.de.vec") is None
    calls = []

    def fake_hub_download(repo_id, filename, revision=None):
        calls.append((repo_id, filename, revision))
        cached = tmp_path / "cache" / filename
        cached.parent.mkdir(exist_ok=True)
        cached.write_bytes(b"fasttext model bytes")
        return str(cached)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_hub_download)
    url = resolve_url(preset="fasttext-hf", lang="nds")
    record = download(url, tmp_path / "model.bin")
    assert calls == [("facebook/fasttext-nds-vectors", "model.bin", "main")]
    assert (tmp_path / "model.bin").read_bytes() == b"fasttext model bytes" and record["url"] == url
