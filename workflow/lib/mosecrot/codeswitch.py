"""Code-switched fine-tuning (methods <method>-cs): while the English PLM is fine-tuned on
English task data, English words that have a dictionary translation are replaced, with
probability r (redrawn every epoch, seeded), by the translation's own input row: exactly
the row the method gives that target word at test time (F_t for RR, E_t W for LS, the
WECHSEL/FOCUS rows, the dictionary rows), appended to the embedding table and frozen. The
body thus meets target rows before test time (CoSDA-ML and SALT switch words the same way).

The dictionary is split three ways: the held-out lexicon-induction pairs (neither their
English nor their target words may be switched), the anchors, and the pairs switched. By
default the switched pairs may include the anchor pairs (the dictionary is the method's own
resource); `disjoint` also removes every pair that shares its English or its target word
with an anchor. No target-language text is read: only English training sentences and the
dictionary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from mosecrot.anchors import Anchor, _first_match
from mosecrot.io import PipelineInputError
from mosecrot.relrep import TargetRows

TRANSLATIONS = ("random", "first")


@dataclass(frozen=True)
class SwitchPair:
    english: str  # as the dictionary spells it (sentence words are looked up lowercased)
    target: str  # as the target vocabulary spells it
    target_row: int  # its row in the target vector vocabulary


def switch_pairs(
    pairs: Iterable[tuple[str, str]],
    target_index: dict[str, int],
    target_casing: list[str],
    held_out: list[Anchor],
    anchors: list[Anchor] | None = None,
) -> tuple[list[SwitchPair], dict]:
    """The dictionary pairs code-switching may use, in dictionary order, each once. Pairs
    whose English word (lowercased) or target row is held out for lexicon induction are
    dropped; with `anchors` (the disjoint split) so are those sharing either word with an
    anchor. A target word must have a vector (its row is what the model reads)."""
    held_english = {a.english.lower() for a in held_out}
    held_rows = {a.target_row for a in held_out}
    anchor_english = {a.english.lower() for a in anchors or []}
    anchor_rows = {a.target_row for a in anchors or []}
    stats = {"dictionary_pairs": 0, "no_target_vector": 0, "held_out_word": 0, "anchor_word": 0}
    kept: dict[tuple[str, int], SwitchPair] = {}
    for english, target in pairs:
        stats["dictionary_pairs"] += 1
        word = _first_match(target, target_index, target_casing)
        if word is None:
            stats["no_target_vector"] += 1
            continue
        key, row = english.lower(), target_index[word]
        if key in held_english or row in held_rows:
            stats["held_out_word"] += 1
            continue
        if anchors is not None and (key in anchor_english or row in anchor_rows):
            stats["anchor_word"] += 1
            continue
        kept.setdefault((key, row), SwitchPair(english, word, row))
    chosen = list(kept.values())
    stats |= {
        "pairs": len(chosen),
        "english_words": len({p.english.lower() for p in chosen}),
        "target_words": len({p.target_row for p in chosen}),
        "split": "disjoint from anchors" if anchors is not None else "anchor pairs allowed",
    }
    return chosen, stats


def write_pairs(path, pairs: list[SwitchPair]) -> None:
    from mosecrot.io import write_text

    write_text(
        path, "english\ttarget\ttarget_row\n" + "".join(f"{p.english}\t{p.target}\t{p.target_row}\n" for p in pairs)
    )


def read_pairs(path) -> list[SwitchPair]:
    from pathlib import Path

    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != "english\ttarget\ttarget_row":
        raise PipelineInputError(f"{path}: not a code-switching pair file (header english, target, target_row)")
    out = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 3 or not fields[2].isdigit():
            raise PipelineInputError(f"{path}, line {number}: expected english<TAB>target<TAB>row, got {line!r}")
        out.append(SwitchPair(fields[0], fields[1], int(fields[2])))
    return out


@dataclass
class SwitchTable:
    """English word -> the extra-row indices of its translations (dictionary order), and
    the extra rows themselves (one per distinct target word, frozen in training)."""

    translations: dict[str, list[int]]
    rows: np.ndarray  # (n_extra, d) float32
    target_words: list[str]

    @classmethod
    def build(cls, pairs: list[SwitchPair], built: TargetRows, source: str = "") -> SwitchTable:
        """The pairs whose target word has a row in the method's `built` rows (a
        dictionary-only build has none for words without a translation)."""
        usable = [p for p, has in zip(pairs, built.contains([p.target_row for p in pairs])) if has]
        order = list(dict.fromkeys(p.target_row for p in usable))
        position = {row: i for i, row in enumerate(order)}
        translations: dict[str, list[int]] = {}
        for pair in usable:
            choices = translations.setdefault(pair.english.lower(), [])
            if position[pair.target_row] not in choices:  # "Set" and "set": one choice
                choices.append(position[pair.target_row])
        spelled = {p.target_row: p.target for p in usable}
        rows = built.at(order, source) if order else np.zeros((0, built.rows.shape[1]), dtype=np.float32)
        return cls(translations, np.asarray(rows, dtype=np.float32), [spelled[r] for r in order])


def word_pieces(tokenizer, texts: list[str], prefix: str = "") -> list[list[tuple[str, list[int]]]]:
    """Each text as (word, its token ids) pairs, the words as the tokenizer's pre-tokenizer
    splits them (untruncated, no special tokens): joined, they are the text's token ids.
    The words of a model's text prefix come as "" (never switched)."""
    pieces = []
    encoded = tokenizer([prefix + text for text in texts], add_special_tokens=False)
    for i, text in enumerate(texts):
        full = prefix + text
        ids, words = encoded["input_ids"][i], encoded.word_ids(i)
        sentence: list[tuple[str, list[int]]] = []
        last = None
        for token, word in zip(ids, words):
            if word is None or word != last:
                span = encoded.word_to_chars(i, word) if word is not None else None
                inside = span is not None and span.start >= len(prefix)
                sentence.append((full[span.start : span.end] if inside else "", []))
                last = word
            sentence[-1][1].append(token)
        pieces.append(sentence)
    return pieces


@dataclass(frozen=True)
class MixedSlot:
    """A switched word under mixup: its own token ids, its translation's extra row, lam."""

    tokens: list[int]
    extra: int
    lam: float


@dataclass
class SwitchedEpoch:
    ids: list[list[int]]
    counts: dict
    slots: list[MixedSlot]
    alignments: list[list[tuple[int, int, int]]]


@dataclass
class Switcher:
    """One epoch's code-switched token ids of a fixed set of English training sentences.
    Extra row j has id `base_rows + j`. The draws depend only on (seed, epoch): a resumed
    run switches the same words."""

    pieces: list[list[tuple[str, list[int]]]]
    table: SwitchTable
    rate: float
    base_rows: int
    cls_id: int
    sep_id: int
    max_length: int
    seed: int
    translation: str = "random"
    mixup: bool = False
    realign_weight: float = 0.0  # > 0: the contrastive realignment loss (train.realignment_loss)
    realign_temperature: float = 0.1

    def __post_init__(self):
        if self.translation not in TRANSLATIONS:
            raise PipelineInputError(f"codeswitch.translation {self.translation!r}: use {TRANSLATIONS}")
        if not 0 <= self.rate <= 1:
            raise PipelineInputError(f"code-switching rate {self.rate} is not in [0, 1]")

    def token_ids(self) -> set[int]:
        """Every id an epoch can contain (a switched sentence is shorter, so words beyond the
        truncation of the unswitched one may appear)."""
        ids = {self.cls_id, self.sep_id}
        ids.update(i for sentence in self.pieces for _, tokens in sentence for i in tokens)
        ids.update(self.base_rows + j for j in range(len(self.table.rows)))
        return ids

    def epoch(self, epoch: int) -> tuple[list[list[int]], dict]:
        switched = self.switched_epoch(epoch)
        return switched.ids, switched.counts

    def switched_epoch(self, epoch: int) -> SwitchedEpoch:
        """The epoch's ids and counts; with mixup its mixed slots: a switched word is then
        one position whose row is lam * its translation's row + (1 - lam) * the mean of its
        own token rows (lam uniform in [0, 1), drawn per occurrence and epoch from a
        generator of its own, so mixup switches the same occurrences as plain switching);
        slot s has id base_rows + len(extra rows) + s. And, for realignment, per sentence
        the (switched position, English start, English end) of each switched word that
        both truncated sequences keep (positions count [CLS] as 0; the English sequence is
        the unswitched sentence)."""
        rng = np.random.default_rng([self.seed, epoch, 0xC0DE])
        lam_rng = np.random.default_rng([self.seed, epoch, 0x1A3])  # its own: the same words switch as without mixup
        encoded, words, switchable, switched = [], 0, 0, 0
        slots: list[MixedSlot] = []
        alignments: list[list[tuple[int, int, int]]] = []
        first_slot = self.base_rows + len(self.table.rows)
        last = self.max_length - 1  # positions 1 .. last - 1 hold content after truncation
        for sentence in self.pieces:
            ids: list[int] = []
            aligned: list[tuple[int, int, int]] = []
            english = 1
            for word, tokens in sentence:
                words += 1
                choices = self.table.translations.get(word.lower())
                if choices:
                    switchable += 1
                    if rng.random() < self.rate:
                        pick = choices[int(rng.integers(len(choices)))] if self.translation == "random" else choices[0]
                        switched += 1
                        if 1 + len(ids) < last and english + len(tokens) <= last:
                            aligned.append((1 + len(ids), english, english + len(tokens)))
                        if self.mixup:
                            slots.append(MixedSlot(list(tokens), pick, float(lam_rng.random())))
                            ids.append(first_slot + len(slots) - 1)
                        else:
                            ids.append(self.base_rows + pick)
                        english += len(tokens)
                        continue
                ids.extend(tokens)
                english += len(tokens)
            encoded.append([self.cls_id, *ids[: self.max_length - 2], self.sep_id])
            alignments.append(aligned)
        counts = {"words": words, "switchable": switchable, "switched": switched}
        return SwitchedEpoch(encoded, counts, slots, alignments)

    def record(self) -> dict:
        return {
            "rate": self.rate,
            "translation": self.translation,
            "mixup": self.mixup,
            "realign_weight": self.realign_weight,
            "realign_temperature": self.realign_temperature,
            "switchable_english_words": len(self.table.translations),
            "target_rows": len(self.table.rows),
            "switchable_words_in_training_data": len(
                {w.lower() for s in self.pieces for w, _ in s if w.lower() in self.table.translations}
            ),
        }
