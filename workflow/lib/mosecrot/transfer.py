"""Zero-shot transfer: target text split into words the way the static vectors were
trained, the target embedding table (the fine-tuned special-token rows + one row per word
the texts use), and the LR baseline on averaged static vectors.

Word splitting (a GAP in the paper) follows the vectors' preprocessing, configured per
vector source (`tokenization`: a preset, each field overridable) and recorded with every
result. Presets:
- fasttext-wiki, fastText's Wikipedia preprocessing (get-wikimedia.sh): lowercase, ’ and ′
  mapped to ', “ and ” to ", apostrophes, quotes, hyphens and the other marks it pads split
  off as their own tokens, the characters it deletes (; : = * | «) deleted, ASCII digits
  deleted. (» is not deleted there, so it stays a token.)
- fasttext-crawl, the Common Crawl vectors (cc.*.300 and the Hugging Face mirror), trained
  on text tokenised with the Europarl tools: cased, digits and inner hyphens kept,
  punctuation split off. (Moses' apostrophe rules are language-specific; split is the
  nearest single rule.)
Unicode NFC first in both. Chinese, Japanese and Korean script runs are split into
characters or segmented with jieba.
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
_QUOTES = str.maketrans({"’": "'", "′": "'", "‘": "'", "“": '"', "”": '"'})
_DIGITS = re.compile("[0-9]")
_PUNCTUATION_ONLY = re.compile(r"[^\w\s]+")
PRESETS = {
    "fasttext-wiki": {
        "lowercase": True,
        "apostrophes": "split",
        "hyphens": "split",
        "digits": "drop",
        "punctuation": "keep",
        "deleted": ";:=*|«",
    },
    "fasttext-crawl": {
        "lowercase": False,
        "apostrophes": "split",
        "hyphens": "keep",
        "digits": "keep",
        "punctuation": "keep",
        "deleted": "",
    },
}
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
    """How target text becomes vector-vocabulary words (defaults: the fasttext-wiki preset)."""

    preset: str = "fasttext-wiki"
    lowercase: bool = True
    apostrophes: str = "split"
    hyphens: str = "split"
    digits: str = "drop"
    punctuation: str = "keep"
    unicode: str = "NFC"
    segmenter: str = "characters"
    deleted: str = ";:=*|«"  # characters replaced by a space before splitting

    def __post_init__(self):
        if self.preset not in PRESETS:
            raise ValueError(f"tokenization.preset must be one of {tuple(PRESETS)}, not {self.preset!r}")
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
        """A preset (default fasttext-wiki; 'auto' is resolved per vector source by
        plan.tokenization_settings) with every field that is set (not null) overriding it."""
        settings = dict(settings or {})
        preset = settings.pop("preset", None)
        preset = "fasttext-wiki" if preset in (None, "auto") else preset
        if preset not in PRESETS:
            raise ValueError(f"tokenization.preset must be one of {tuple(PRESETS)}, not {preset!r}")
        return cls(preset=preset, **{**PRESETS[preset], **{k: v for k, v in settings.items() if v is not None}})

    def record(self) -> dict:
        return asdict(self)

    def split(self, text: str) -> list[str]:
        if self.unicode != "none":
            text = unicodedata.normalize(self.unicode, text)
        text = text.translate(_QUOTES)
        if self.deleted:
            text = text.translate(dict.fromkeys(map(ord, self.deleted), " "))
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
    dropped_punctuation: int = 0

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
    holds a row for every word that has one; the others read the [UNK] row, except
    punctuation marks the vectors do not know, which are left out (an [UNK] for a comma
    would tell the model less than nothing). The unknown-word rate counts every other word
    of the texts (before truncation)."""
    special_ids = special_token_ids(special)
    position = {token_id: row for row, token_id in enumerate(special_ids)}
    cls, sep, unk = (position[special["cls"]], position[special["sep"]], position[special["unk"]])
    index: dict[str, int] = {}
    rows: list[np.ndarray] = []
    encoded, words, unknown, dropped = [], 0, 0, 0
    for text_words in word_lists:
        ids = []
        for word in text_words:
            if word not in rows_for:
                if _PUNCTUATION_ONLY.fullmatch(word):
                    dropped += 1
                    continue
                ids.append(unk)
                unknown += 1
                continue
            if word not in index:
                index[word] = len(special_ids) + len(rows)
                rows.append(rows_for[word])
            ids.append(index[word])
        words += len(text_words)
        encoded.append([cls, *ids[: max_length - 2], sep])
    words -= dropped
    width = special_rows.shape[1]
    table = np.vstack(
        [np.asarray(special_rows, dtype=np.float32), np.asarray(rows, dtype=np.float32).reshape(-1, width)]
    )
    return WordInputs(table, encoded, position[special["pad"]], words, unknown, dropped)


def words_read(
    texts: list[str], tokenization: Tokenization, dictionary_words: list[str], index: dict[str, int]
) -> tuple[np.ndarray, dict]:
    """The vocabulary rows of every target word the pipeline reads: the words of the texts
    (split as evaluation splits them) and each dictionary word in every casing the anchor
    selection may try (anchors.CASINGS), which covers anchors, held-out pairs and any
    translation. Returns the rows, ascending, and their counts."""
    from mosecrot.anchors import CASINGS

    text_words = {word for text in texts for word in tokenization.split(text)}
    from_texts = {index[word] for word in text_words if word in index}
    from_dictionary = {
        index[form] for word in dictionary_words for casing in CASINGS.values() if (form := casing(word)) in index
    }
    rows = np.array(sorted(from_texts | from_dictionary), dtype=np.int64)
    stats = {
        "vocabulary": len(index),
        "text_words": len(text_words),
        "text_words_in_vocabulary": len(from_texts),
        "dictionary_words_in_vocabulary": len(from_dictionary),
        "rows": len(rows),
    }
    return rows, stats


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
