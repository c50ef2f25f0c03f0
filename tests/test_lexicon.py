import pytest
from mosecrot import lexicon
from mosecrot.io import PipelineInputError, package_dir


def test_muse_and_tsv_merge_with_inversion(tmp_path):
    (tmp_path / "en-de.txt").write_text("dog hund\ndog köter\nhot dog würstchen\ncat\tkatze\n", encoding="utf-8")
    (tmp_path / "de-en.tsv").write_text("haus\thouse\nhund\tdog\n", encoding="utf-8")
    pairs, stats = lexicon.read_lexicon(
        [
            {"path": tmp_path / "en-de.txt", "format": "muse"},
            {"path": tmp_path / "de-en.tsv", "format": "tsv", "direction": "tgt-en"},
        ],
        "de",
    )
    assert [p[:2] for p in pairs] == [("dog", "hund"), ("dog", "köter"), ("cat", "katze"), ("house", "haus")]
    assert stats["files"][0]["multiword_dropped"] == 1 and stats["files"][1]["duplicates"] == 1


def _b64(value: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    out = ""
    while True:
        out = alphabet[value % 64] + out
        value //= 64
        if value == 0:
            return out


def test_dictd_wiktionary_layout_takes_translation_lines_only(tmp_path):
    import gzip

    entries = {
        "dog": "dog /dɒɡ/ <n>\n1. koira\nanimal\n2. uroskoira, koira\nmale canine\n",
        "water": "water /ˈwɔːtə/ <n>\nvesi\nclear liquid\n",
    }
    data, index = b"", []
    for head, body in entries.items():
        encoded = body.encode()
        index.append(f"{head}\t{_b64(len(data))}\t{_b64(len(encoded))}")
        data += encoded
    (tmp_path / "freedict-eng-fin.index").write_text("\n".join(index) + "\n")
    (tmp_path / "freedict-eng-fin.dict.dz").write_bytes(gzip.compress(data))
    pairs = [(e, t) for _, e, t in lexicon.read_pairs_dictd(tmp_path / "freedict-eng-fin.index")]
    assert pairs == [("dog", "koira"), ("dog", "uroskoira"), ("dog", "koira"), ("water", "vesi")]


def test_real_freedict_tarball_roundtrip(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    index = next(
        p
        for p in (root / ".venv/share/dictd/freedict-fra-eng.index", Path("/usr/share/dictd/freedict-fra-eng.index"))
        if p.exists()
    )
    lexicon.pack_dictd(index, tmp_path / "fra-eng.tar.xz")
    pairs, stats = lexicon.read_lexicon(
        [{"path": tmp_path / "fra-eng.tar.xz", "format": "dictd", "direction": "tgt-en"}], "fr"
    )
    assert ("dog", "chien", "fra-eng.tar.xz") in pairs and stats["pairs"] > 2000
    targets = {t for _, t, _ in pairs}
    # Headwords from the entry body, with their punctuation (dictfmt's index strips it).
    assert {"quelqu'un", "aujourd'hui", "faire-part"} <= targets
    assert not {"quelquun", "aujourdhui", "fairepart"} & targets


def test_dictd_headword_comes_from_the_entry_not_the_index(tmp_path):
    import gzip

    body = "quelqu'un /kɛlky/\nsomebody, someone\n".encode()
    (tmp_path / "freedict-fra-eng.index").write_text(f"quelquun\t{_b64(0)}\t{_b64(len(body))}\n")
    (tmp_path / "freedict-fra-eng.dict.dz").write_bytes(gzip.compress(body))
    pairs = [(e, t) for _, e, t in lexicon.read_pairs_dictd(tmp_path / "freedict-fra-eng.index")]
    assert pairs == [("quelqu'un", "somebody"), ("quelqu'un", "someone")]


def test_byte_order_marks_are_dropped(tmp_path):
    tsv = tmp_path / "en-de.tsv"
    tsv.write_bytes("\ufeffdog\thund\ncat\tkatze\n".encode())
    pairs, _ = lexicon.read_lexicon([{"path": tsv, "format": "tsv"}], "de")
    assert [p[:2] for p in pairs] == [("dog", "hund"), ("cat", "katze")]
    lexicon.write_lexicon_tsv(tmp_path / "out.tsv", pairs)
    with_bom = tmp_path / "bom.tsv"
    with_bom.write_bytes(b"\xef\xbb\xbf" + (tmp_path / "out.tsv").read_bytes())
    assert lexicon.read_lexicon_tsv(with_bom)[0] == ("dog", "hund")


def test_non_utf8_line_is_named(tmp_path):
    path = tmp_path / "en-fo.txt"
    path.write_bytes(b"a b\nc d\n" + b"caf\xe9 kaffi\n")
    with pytest.raises(PipelineInputError, match=r"en-fo.txt: line 3 is not UTF-8"):
        lexicon.read_lexicon([{"path": path, "format": "muse"}], "fo")


def test_no_usable_pair(tmp_path):
    path = tmp_path / "en-mt.txt"
    path.write_text("hot dog zalzett sħun\n123 456\n", encoding="utf-8")
    with pytest.raises(PipelineInputError, match="no usable single-word pair in the mt dictionary"):
        lexicon.read_lexicon([{"path": path, "format": "muse"}], "mt")


def test_missing_dictionary_names_language(tmp_path):
    with pytest.raises(PipelineInputError, match="dictionary for sah not found"):
        lexicon.read_lexicon([{"path": tmp_path / "nope.txt", "format": "muse"}], "sah")


def test_package_dir_error():
    with pytest.raises(PipelineInputError, match="not installed"):
        package_dir("no_such_package_here")
