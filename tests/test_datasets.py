import pandas as pd
import pytest
from mosecrot import datasets
from mosecrot.io import PipelineInputError, package_dir

INTENTS = ["HassTurnOn", "HassTurnOff", "HassGetWeather", "HassStartTimer", "HassNevermind"]


def test_intents_sampling_is_seeded_and_has_no_runtime_slots():
    data = package_dir("home_assistant_intents") / "data"
    first = datasets.sample_intents(data, "fr", INTENTS, 30, seed=0, fractions={"train": 0.6, "dev": 0.2, "test": 0.2})
    again = datasets.sample_intents(data, "fr", INTENTS, 30, seed=0, fractions={"train": 0.6, "dev": 0.2, "test": 0.2})
    other = datasets.sample_intents(data, "fr", INTENTS, 30, seed=1, fractions={"train": 0.6, "dev": 0.2, "test": 0.2})
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert set(first["label"]) == set(INTENTS) and set(first["split"]) == {"train", "dev", "test"}
    assert not first["text"].str.contains(r"[{}<>\[\]]").any()  # fully expanded templates


def test_unknown_intent_names_language():
    data = package_dir("home_assistant_intents") / "data"
    with pytest.raises(PipelineInputError, match="HassNoSuchThing not defined for fi"):
        datasets.sample_intents(data, "fi", ["HassNoSuchThing"], 5, 0, {"test": 1.0})


def _taxi_files(tmp_path, lang, rows):
    for split in ("train", "dev", "test"):
        text = "id\tlabel\tverse\n" + "".join(f"{i}\t{label}\t{verse}\n" for i, (label, verse) in enumerate(rows))
        (tmp_path / f"{lang}_{split}.tsv").write_text(text, encoding="utf-8")


TAXI = {
    "kind": "table",
    "files": {s: "{root}/{lang}_" + s + ".tsv" for s in ("train", "dev", "test")},
    "text_column": "verse",
    "label_column": "label",
}


def _spec(tmp_path):
    files = {s: str(tmp_path / ("{lang}_" + s + ".tsv")) for s in ("train", "dev", "test")}
    return {**TAXI, "files": files}


def test_table_adapter_taxi_layout(tmp_path):
    _taxi_files(tmp_path, "de", [("Faith", "Im Anfang war das Wort"), ("Sin", "Und sie sündigten")])
    frame = datasets.load_table_dataset(_spec(tmp_path), "de", ["train", "test"])
    assert list(frame.columns) == ["split", "text", "label"] and len(frame) == 4
    datasets.write_table(frame, tmp_path / "out.tsv")
    assert datasets.read_table(tmp_path / "out.tsv", "test")["label"].tolist() == ["Faith", "Sin"]


def test_marc_star_mapping(tmp_path):
    rows = [{"review_body": f"text {s}", "stars": s} for s in (1, 2, 3, 4, 5)]
    pd.DataFrame(rows).to_json(tmp_path / "de_test.jsonl", orient="records", lines=True)
    spec = {
        "files": {"test": str(tmp_path / "{lang}_test.jsonl")},
        "format": "jsonl",
        "text_column": "review_body",
        "label_column": "stars",
        "label_map": {"1": "negative", "2": "negative", "3": "neutral", "4": "positive", "5": "positive"},
    }
    frame = datasets.load_table_dataset(spec, "de", ["test"])
    assert frame["label"].tolist() == ["negative", "negative", "neutral", "positive", "positive"]


def test_missing_split_names_file_and_language(tmp_path):
    with pytest.raises(PipelineInputError, match="the test split for mt is missing"):
        datasets.load_table_dataset(_spec(tmp_path), "mt", ["test"])


def test_missing_column(tmp_path):
    _taxi_files(tmp_path, "de", [("Faith", "x")])
    with pytest.raises(PipelineInputError, match="column 'text' not found"):
        datasets.load_table_dataset({**_spec(tmp_path), "text_column": "text"}, "de", ["test"])


def test_target_labels_must_match_source():
    frame = pd.DataFrame({"split": ["test"], "text": ["x"], "label": ["Poetry"]})
    with pytest.raises(PipelineInputError, match=r"mt has labels \['Poetry'\]"):
        datasets.check_table(frame, "mt", "taxi1500", ["test"], labels=["Faith", "Sin"])


def test_check_table_requires_each_split():
    frame = pd.DataFrame({"split": ["test"], "text": ["x"], "label": ["a"]})
    with pytest.raises(PipelineInputError, match="no rows in split 'train'"):
        datasets.check_table(frame, "fr", "intents", ["train", "test"], labels=None)


def test_non_utf8_dataset_file(tmp_path):
    (tmp_path / "de_test.tsv").write_bytes(b"id\tlabel\tverse\n1\tFaith\tGr\xfc\xdfe\n")
    with pytest.raises(PipelineInputError, match="de_test.tsv: not UTF-8"):
        datasets.load_table_dataset(_spec(tmp_path), "de", ["test"])
