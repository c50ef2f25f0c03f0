"""Zero-shot transfer: target text split into words the way the static vectors were
trained, the target embedding table (the fine-tuned special-token rows + one row per word
the texts use), and the LR baseline on averaged static vectors.

Word splitting (a GAP in the paper) follows the vectors' preprocessing, configured per
vector source (`tokenization`) and recorded with every result. The default is fastText's
Wikipedia preprocessing (get-wikimedia.sh): Unicode NFC, lowercase, ’ and ′ mapped to ',
apostrophes and hyphens split off as their own tokens, ASCII digits deleted. Chinese,
Japanese and Korean script runs are split into characters or segmented with jieba.
Words missing from the vocabulary map to the [UNK] row, or, with a fastText .bin, to rows
built from its subword vectors exactly like known words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

import numpy as np

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_RUN = re.compile(f"([{_CJK}]+)")
_QUOTES = str.maketrans({"’": "'", "′": "'", "‘": "'"})
_DIGITS = re.compile("[0-9]")
CHOICES = {
    "apostrophes": ("split", "keep"),
    "hyphens": ("split", "keep"),
    "digits": ("drop", "keep"),
    "punctuation": ("keep", "drop"),
    "unicode": ("NFC", "NFKC", "none"),
    "segmenter": ("characters", "jieba"),
}


@dataclass(frozen=True)
class Tokenization:
    """How target text becomes vector-vocabulary words (defaults: fastText Wikipedia)."""

    lowercase: bool = True
    apostrophes: str = "split"
    hyphens: str = "split"
    digits: str = "drop"
    punctuation: str = "keep"
    unicode: str = "NFC"
    segmenter: str = "characters"

    def __post_init__(self):
        for key, allowed in CHOICES.items():
            if getattr(self, key) not in allowed:
                raise ValueError(f"tokenization.{key} must be one of {allowed}, not {getattr(self, key)!r}")
        core = r"[^\W_]+" if self.digits == "keep" else r"[^\W\d_]+"
        joiners = ("'" if self.apostrophes == "keep" else "") + ("-" if self.hyphens == "keep" else "")
        word = f"{core}(?:[{re.escape(joiners)}]{core})*" if joiners else core
        punctuation = "" if self.punctuation == "drop" else r"|[^\w\s]"
        object.__setattr__(self, "_pattern", re.compile(word + punctuation))

    @classmethod
    def from_config(cls, settings: dict | None) -> Tokenization:
        return cls(**(settings or {}))

    def record(self) -> dict:
        return asdict(self)

    def split(self, text: str) -> list[str]:
        if self.unicode != "none":
            text = unicodedata.normalize(self.unicode, text)
        text = text.translate(_QUOTES)
        if self.lowercase:
            text = text.lower()
        if self.digits == "drop":
            text = _DIGITS.sub(" ", text)
        words: list[str] = []
        for i, part in enumerate(_CJK_RUN.split(text)):
            if i % 2:  # a run of CJK script
                words += list(part) if self.segmenter == "characters" else _jieba_words(part)
            else:
                words += self._pattern.findall(part)
        return words


def _jieba_words(text: str) -> list[str]:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [w for w in jieba.lcut(text) if w.strip()]


def special_token_ids(special: dict[str, int | None]) -> list[int]:
    """The PLM's special tokens ([CLS], [SEP], [PAD], [UNK], [MASK]) whose own fine-tuned
    rows the target table keeps, from a {name: id} map (inference.special_ids)."""
    names = ("cls", "sep", "pad", "unk", "mask")
    return list(dict.fromkeys(special[name] for name in names if special.get(name) is not None))


@dataclass
class WordInputs:
    """A target embedding table laid out as [special rows; one row per word used] and the
    texts encoded as row ids ([CLS] words [SEP], truncated to max_length)."""

    table: np.ndarray
    encoded: list[list[int]]
    pad_row: int
    words: int
    unknown: int

    @property
    def unknown_rate(self) -> float:
        return self.unknown / self.words if self.words else 0.0


def word_inputs(
    word_lists: list[list[str]],
    rows_for: dict[str, np.ndarray],
    special_rows: np.ndarray,
    special: dict[str, int | None],
    max_length: int,
) -> WordInputs:
    """`special_rows` are the rows of special_token_ids(special), in that order; `rows_for`
    holds a row for every word that has one; the others read the [UNK] row. The
    unknown-word rate counts every word of the texts (before truncation)."""
    special_ids = special_token_ids(special)
    position = {token_id: row for row, token_id in enumerate(special_ids)}
    cls, sep, unk = (position[special["cls"]], position[special["sep"]], position[special["unk"]])
    index: dict[str, int] = {}
    rows: list[np.ndarray] = []
    encoded, words, unknown = [], 0, 0
    for text_words in word_lists:
        ids = []
        for word in text_words:
            if word not in rows_for:
                ids.append(unk)
                unknown += 1
                continue
            if word not in index:
                index[word] = len(special_ids) + len(rows)
                rows.append(rows_for[word])
            ids.append(index[word])
        words += len(text_words)
        encoded.append([cls, *ids[: max_length - 2], sep])
    width = special_rows.shape[1]
    table = np.vstack(
        [np.asarray(special_rows, dtype=np.float32), np.asarray(rows, dtype=np.float32).reshape(-1, width)]
    )
    return WordInputs(table, encoded, position[special["pad"]], words, unknown)


# --------------------------------------------------------------------------- LR baseline


def average_vectors(
    word_lists: list[list[str]], index: dict[str, int], matrix: np.ndarray
) -> tuple[np.ndarray, int, int]:
    """Mean static vector per text, in float64 (zeros when no word is known); (X, words, unknown)."""
    features = np.zeros((len(word_lists), matrix.shape[1]), dtype=np.float64)
    tokens = unknown = 0
    for i, words in enumerate(word_lists):
        rows = [index[w] for w in words if w in index]
        tokens += len(words)
        unknown += len(words) - len(rows)
        if rows:
            features[i] = np.asarray(matrix[rows], dtype=np.float64).mean(axis=0)
    return features, tokens, unknown


def logistic_regression(train_x: np.ndarray, train_y: list[str], seed: int, max_iter: int = 100_000, tol: float = 1e-8):
    """L2-regularised LR solved to its unique optimum. In float64 with a tight tolerance:
    with float32 features and sklearn's default tol (1e-4), lbfgs stops at a point that
    depends on the BLAS kernel (the same run gave fi macro-F1 0.846 on AMD/Haswell kernels
    and 0.851 on SkylakeX kernels); converged, every kernel gives the same predictions."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter, tol=tol, random_state=seed))
    model.fit(np.asarray(train_x, dtype=np.float64), train_y)
    return model
