"""Dataset adapters. Every source becomes one normalised table: TSV with columns
split, text, label (UTF-8, header), one file per (dataset, language). The source
language's training labels define the label list every target must match.
"""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import pandas as pd

from mosecrot.io import PipelineInputError, atomic_path

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
COLUMNS = ["split", "text", "label"]


def _read_table_file(
    path: Path, fmt: str, header: bool, text_column, label_column, split: str, lang: str
) -> pd.DataFrame:
    if not path.exists():
        raise PipelineInputError(
            f"{path}: the {split} split for {lang} is missing; obtain it (see config/README.md) "
            "or remove the split/language from the config"
        )
    try:
        if fmt == "jsonl":
            frame = pd.read_json(path, lines=True, dtype=False, encoding="utf-8-sig")
        else:
            frame = pd.read_csv(
                path,
                sep="\t" if fmt == "tsv" else ",",
                header=0 if header else None,
                quoting=3 if fmt == "tsv" else 0,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",  # a byte-order mark must not stick to the first column name
            )
    except UnicodeDecodeError as error:
        raise PipelineInputError(f"{path}: not UTF-8 ({error.reason}); convert the file to UTF-8") from None
    except (ValueError, pd.errors.ParserError) as error:
        raise PipelineInputError(f"{path}: cannot parse as {fmt} ({error})") from None
    for column in (text_column, label_column):
        if column not in frame.columns:
            raise PipelineInputError(
                f"{path}: column {column!r} not found (columns: {list(frame.columns)}); "
                "set text_column/label_column in the config"
            )
    return pd.DataFrame(
        {"split": split, "text": frame[text_column].astype(str), "label": frame[label_column].astype(str)}
    )


def load_table_dataset(spec: dict, lang: str, splits: list[str]) -> pd.DataFrame:
    """Generic local files: spec has files {split: template with {lang}}, format, columns."""
    parts = []
    for split in splits:
        template = spec["files"].get(split)
        if template is None:
            raise PipelineInputError(f"dataset config has no file template for split {split!r} ({lang})")
        path = Path(template.format(lang=lang, **spec.get("codes", {}).get(lang, {})))
        frame = _read_table_file(
            path,
            spec.get("format", "tsv"),
            spec.get("header", True),
            spec.get("text_column", "text"),
            spec.get("label_column", "label"),
            split,
            lang,
        )
        if spec.get("label_map"):  # empty (the schema's default): labels as they are
            frame["label"] = frame["label"].map(lambda v: spec["label_map"].get(str(v), None))
            frame = frame.dropna(subset=["label"])
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def load_huggingface_dataset(spec: dict, lang: str, splits: list[str]) -> pd.DataFrame:
    """A Hugging Face dataset, e.g. SIB-200 (Davlan/sib200, one config per language): a hub id
    (at `revision`, when pinned) or a local dataset directory with the same layout."""
    try:
        import datasets
    except ImportError:
        raise PipelineInputError(
            "the 'datasets' package is needed for Hugging Face datasets: pip install datasets"
        ) from None
    config_name = spec.get("config", "{lang}").format(lang=lang, **spec.get("codes", {}).get(lang, {}))
    parts = []
    for split in splits:
        hub_split = spec.get("split_names", {}).get(split, split)
        try:
            data = datasets.load_dataset(
                spec["name"], config_name, split=hub_split, revision=spec.get("revision") or None
            )
        except Exception as error:  # the hub raises many types
            raise PipelineInputError(
                f"cannot load {spec['name']}/{config_name} split {hub_split} for {lang}: {error}"
            ) from None
        frame = data.to_pandas()
        for column in (spec["text_column"], spec["label_column"]):
            if column not in frame.columns:
                raise PipelineInputError(f"{spec['name']}/{config_name}: column {column!r} not found")
        parts.append(
            pd.DataFrame(
                {
                    "split": split,
                    "text": frame[spec["text_column"]].astype(str),
                    "label": frame[spec["label_column"]].astype(str),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- demo intents

# Slots Home Assistant fills at run time from the user's own devices: templates using
# them would need English placeholders, which leak English into target text.
RUNTIME_SLOTS = {"area", "name", "floor", "zone"}


def _sample_expression(expression, rng: random.Random, intents, data) -> str | None:
    from hassil.expression import Alternative, ListReference, Permutation, RuleReference, Sequence, TextChunk
    from hassil.intents import RangeSlotList, TextSlotList

    if isinstance(expression, TextChunk):
        return expression.text
    if isinstance(expression, Alternative):
        return _sample_expression(rng.choice(expression.items), rng, intents, data)
    if isinstance(expression, Permutation):
        items = list(expression.items)
        rng.shuffle(items)
        expression = Sequence(items=items)
    if isinstance(expression, Sequence):
        pieces = [_sample_expression(item, rng, intents, data) for item in expression.items]
        return None if any(p is None for p in pieces) else "".join(pieces)
    if isinstance(expression, RuleReference):
        rule = data.expansion_rules.get(expression.rule_name) or intents.expansion_rules.get(expression.rule_name)
        return None if rule is None else _sample_expression(rule.expression, rng, intents, data)
    if isinstance(expression, ListReference):
        if expression.is_inline_range:
            start, stop, step = expression.get_inline_range()
            return str(rng.randrange(start, stop + 1, step))
        slot_list = data.slot_lists.get(expression.list_name) or intents.slot_lists.get(expression.list_name)
        if expression.list_name in RUNTIME_SLOTS or slot_list is None:
            return None
        if isinstance(slot_list, RangeSlotList):
            return str(rng.randrange(slot_list.start, slot_list.stop + 1, slot_list.step))
        if isinstance(slot_list, TextSlotList) and slot_list.values:
            return _sample_expression(rng.choice(slot_list.values).text_in, rng, intents, data)
        return None  # wildcards: free text filled at run time
    raise TypeError(f"unexpected template element {type(expression).__name__}")


def sample_intents(
    data_dir: Path,
    lang: str,
    intents: list[str],
    per_intent: int,
    seed: int,
    fractions: dict[str, float],
    extra_test_per_intent: int = 0,
) -> pd.DataFrame:
    """Sample sentences per intent from home-assistant-intents templates, seeded, and
    split them; templates with runtime slots or wildcards are skipped. extra_test_per_intent:
    up to this many further distinct sentences per intent, drawn afterwards with a generator
    of their own, go to the test split only (the other splits, and the first test sentences,
    are those of extra_test_per_intent = 0; an intent whose templates run out gets fewer)."""
    from hassil.intents import Intents

    path = Path(data_dir) / f"{lang}.json"
    if not path.exists():
        raise PipelineInputError(f"{path}: no home-assistant-intents data for {lang}")
    raw = json.loads(path.read_text(encoding="utf-8"))
    parsed = Intents.from_dict(raw)
    rng = random.Random(f"{seed}-{lang}")
    rows, templates = [], {}
    for intent_name in intents:
        intent = parsed.intents.get(intent_name)
        if intent is None:
            raise PipelineInputError(f"{path}: intent {intent_name} not defined for {lang}; drop it from the config")
        templates[intent_name] = [(data, text) for data in intent.data for text in data.sentence_texts]
        sentences = _draw_sentences(templates[intent_name], parsed, rng, per_intent, set())
        rows += [(sentence, intent_name) for sentence in sorted(sentences)]
    frame = stratified_splits(rows, fractions, rng)
    if not extra_test_per_intent:
        return frame
    # Drawn after every plain sentence, never one of them (of any intent) nor an earlier extra.
    extra_rng, taken, extra = random.Random(f"{seed}-{lang}-extra-test"), {text for text, _ in rows}, []
    for intent_name in intents:
        more = _draw_sentences(templates[intent_name], parsed, extra_rng, extra_test_per_intent, taken)
        taken |= more
        extra += [("test", sentence, intent_name) for sentence in sorted(more)]
    return pd.concat([frame, pd.DataFrame(extra, columns=frame.columns)], ignore_index=True)


def intents_from_spec(spec: dict, lang: str, extra_test: bool = True) -> pd.DataFrame:
    """The intents dataset of a config's `datasets` entry for one language, as the
    prepare_dataset rule samples it (fractions in sorted order, as the rule's JSON params
    carry them); extra_test=False: without the extra target test sentences."""
    from mosecrot.io import package_dir

    return sample_intents(
        package_dir("home_assistant_intents") / "data",
        lang,
        spec["intents"],
        spec["per_intent"],
        spec["seed"],
        dict(sorted(spec["fractions"].items())),
        spec.get("extra_test_per_intent", 0) if extra_test else 0,
    )


def _draw_sentences(templates, parsed, rng: random.Random, wanted: int, taken: set[str]) -> set[str]:
    """Up to `wanted` distinct sentences not in `taken`, within wanted x 20 draws."""
    from hassil.parse_expression import parse_sentence

    sentences: set[str] = set()
    for _ in range(wanted * 20):
        if len(sentences) >= wanted or not templates:
            break
        data, text = rng.choice(templates)
        try:
            sentence = _sample_expression(parse_sentence(text).expression, rng, parsed, data)
        except Exception:  # noqa: BLE001 - a malformed template is skipped, not fatal
            sentence = None
        if sentence:
            sentence = " ".join(sentence.split())
            if sentence not in taken:
                sentences.add(sentence)
    return sentences


def stratified_splits(rows: list[tuple[str, str]], fractions: dict[str, float], rng: random.Random) -> pd.DataFrame:
    """(text, label) rows split per label by `fractions` (seeded shuffle, cumulative
    rounding): every label gets its share of every split, so no class is missing from a
    test set by chance (a one-example class decides 1/|labels| of the macro-F1)."""
    parts = []
    for label in sorted({label for _, label in rows}):
        texts = [text for text, row_label in rows if row_label == label]
        rng.shuffle(texts)
        done, cumulative = 0, 0.0
        for split, share in fractions.items():
            cumulative += share
            end = round(cumulative * len(texts))
            parts += [(split, text, label) for text in texts[done:end]]
            done = end
    rng.shuffle(parts)
    return pd.DataFrame(parts, columns=["split", "text", "label"])


# --------------------------------------------------------------------------- output


def check_table(frame: pd.DataFrame, lang: str, dataset: str, splits: list[str], labels: list[str] | None) -> None:
    for split in splits:
        if not (frame["split"] == split).any():
            raise PipelineInputError(f"dataset {dataset}: {lang} has no rows in split {split!r}")
    if labels is not None:
        unknown = sorted(set(frame["label"]) - set(labels))
        if unknown:
            raise PipelineInputError(
                f"dataset {dataset}: {lang} has labels {unknown} that the source language does not have "
                f"({labels}); map them in the config (label_map) or fix the files"
            )


def write_table(frame: pd.DataFrame, path: Path) -> None:
    clean = frame.assign(text=frame["text"].str.replace(r"[\t\n\r]+", " ", regex=True))
    with atomic_path(path) as tmp:
        clean[COLUMNS].to_csv(tmp, sep="\t", index=False, quoting=3, encoding="utf-8")


def read_table(path: Path, split: str | None = None) -> pd.DataFrame:
    frame = pd.read_csv(path, sep="\t", quoting=3, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame if split is None else frame[frame["split"] == split].reset_index(drop=True)
