"""Zero-shot transfer: the word-level target tokenizer, the target embedding table
(special-token rows from the fine-tuned model + one row per target word), and the LR
baseline on averaged static vectors.

Target tokenisation (a GAP in the paper, decided here): lowercase when configured,
split into runs of word characters and single punctuation marks; each CJK character
is its own token (no segmenter). Unknown words map to the [UNK] row, or, when a
fastText .bin is configured, to rows built from its subword vectors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W\d_]+(?:['’][^\W\d_]+)*|\d+|[^\w\s]")


def split_words(text: str, lowercase: bool) -> list[str]:
    return _TOKEN.findall(text.lower() if lowercase else text)


def special_token_ids(tokenizer) -> list[int]:
    """The PLM's special tokens whose own (fine-tuned) rows the target table keeps."""
    ids = [
        tokenizer.cls_token_id,
        tokenizer.sep_token_id,
        tokenizer.pad_token_id,
        tokenizer.unk_token_id,
        tokenizer.mask_token_id,
    ]
    return list(dict.fromkeys(i for i in ids if i is not None))


@dataclass
class WordTokenizer:
    """Maps target text to rows of a table laid out as [specials..., words...]."""

    words: list[str]
    cls_row: int
    sep_row: int
    pad_row: int
    unk_row: int
    n_special: int
    lowercase: bool
    max_length: int

    def __post_init__(self):
        self.index = {w: self.n_special + i for i, w in enumerate(self.words)}
        self.tokens = 0
        self.unknown = 0

    def add_words(self, words: list[str]) -> None:
        for word in words:
            if word not in self.index:
                self.index[word] = self.n_special + len(self.words)
                self.words.append(word)

    def unknown_words(self, texts: list[str]) -> list[str]:
        found = {w for t in texts for w in split_words(t, self.lowercase) if w not in self.index}
        return sorted(found)

    def __call__(self, texts: list[str]) -> list[list[int]]:
        encoded = []
        for text in texts:
            rows = [self.index.get(w, self.unk_row) for w in split_words(text, self.lowercase)]
            rows = rows[: self.max_length - 2]
            self.tokens += len(rows)
            self.unknown += sum(r == self.unk_row for r in rows)
            encoded.append([self.cls_row, *rows, self.sep_row])
        return encoded

    @property
    def unknown_rate(self) -> float:
        return self.unknown / self.tokens if self.tokens else 0.0


def target_table(
    special_rows: np.ndarray,
    special_ids: list[int],
    tokenizer,
    word_rows: np.ndarray,
    words: list[str],
    lowercase: bool,
    max_length: int,
) -> tuple[np.ndarray, WordTokenizer]:
    """Stack [special rows; word rows] and the matching word tokenizer."""
    position = {token_id: row for row, token_id in enumerate(special_ids)}
    word_tokenizer = WordTokenizer(
        words=list(words),
        cls_row=position[tokenizer.cls_token_id],
        sep_row=position[tokenizer.sep_token_id],
        pad_row=position[tokenizer.pad_token_id],
        unk_row=position[tokenizer.unk_token_id],
        n_special=len(special_ids),
        lowercase=lowercase,
        max_length=max_length,
    )
    table = np.vstack([np.asarray(special_rows, dtype=np.float32), np.asarray(word_rows, dtype=np.float32)])
    return table, word_tokenizer


# --------------------------------------------------------------------------- LR baseline


def average_vectors(
    texts: list[str], index: dict[str, int], matrix: np.ndarray, lowercase: bool
) -> tuple[np.ndarray, int, int]:
    """Mean static vector per text (zeros when no word is known); (X, tokens, unknown)."""
    features = np.zeros((len(texts), matrix.shape[1]), dtype=np.float32)
    tokens = unknown = 0
    for i, text in enumerate(texts):
        words = split_words(text, lowercase)
        rows = [index[w] for w in words if w in index]
        tokens += len(words)
        unknown += len(words) - len(rows)
        if rows:
            features[i] = np.asarray(matrix[rows]).mean(axis=0)
    return features, tokens, unknown


def logistic_regression(train_x: np.ndarray, train_y: list[str], seed: int, max_iter: int = 2000):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter, random_state=seed))
    model.fit(train_x, train_y)
    return model
