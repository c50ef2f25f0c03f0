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


def test_extra_test_sentences_leave_every_other_sentence_where_it_was():
    data = package_dir("home_assistant_intents") / "data"
    fractions = {"train": 0.5, "dev": 0.15, "test": 0.35}
    plain = datasets.sample_intents(data, "fi", INTENTS, 30, 0, fractions)
    larger = datasets.sample_intents(data, "fi", INTENTS, 30, 0, fractions, extra_test_per_intent=60)
    # The first rows are the plain sample, row for row; the rest are new test sentences.
    pd.testing.assert_frame_equal(larger.iloc[: len(plain)], plain)
    extra = larger.iloc[len(plain) :]
    assert set(extra["split"]) == {"test"} and not extra["text"].isin(plain["text"]).any()
    assert not extra["text"].duplicated().any()  # nor twice among the extras, of any intent
    per_intent = extra.groupby("label").size()
    assert per_intent.max() == 60 and set(per_intent.index) <= set(INTENTS)
    # Seeded: the same extra sentences again.
    pd.testing.assert_frame_equal(larger, datasets.sample_intents(data, "fi", INTENTS, 30, 0, fractions, 60))


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


def test_every_dataset_kind_through_the_schema_and_the_rule(tmp_path):
    """The real config path: the schema fills defaults (label_map: {} must keep the labels),
    then prepare_dataset runs as Snakemake runs it, for a table (Taxi1500 layout, TSV with a
    byte-order mark), MARC (JSON lines with a star map), a Hugging Face dataset directory
    (SIB-200 layout, loaded offline through `datasets`) and the intents sampler."""
    import yaml
    from conftest import ROOT, run_snakemake

    data = tmp_path / "data"
    for lang, code in (("en", "eng"), ("fr", "fra")):
        for split in ("train", "dev", "test"):
            taxi = data / "taxi" / code / f"{code}_{split}.tsv"
            taxi.parent.mkdir(parents=True, exist_ok=True)
            taxi.write_bytes("\ufeffid\tlabel\tverse\n1\tFaith\tIn the beginning\n2\tSin\tThey sinned\n".encode())
            marc = data / "marc" / lang / f"{split}.jsonl"
            marc.parent.mkdir(parents=True, exist_ok=True)
            marc.write_text("".join(f'{{"review_body": "text {s}", "stars": {s}}}\n' for s in (1, 3, 5)))
            sib = data / "sib" / f"{code}_Latn" / f"{split}.tsv"
            sib.parent.mkdir(parents=True, exist_ok=True)
            sib.write_text("index_id\tcategory\ttext\n1\tscience\thello\n2\tsports\tfoot\n3\ttravel\tgo\n")
    (data / "sib" / "README.md").write_text(
        "---\nconfigs:\n"
        + "".join(
            f"- config_name: {c}_Latn\n  data_files:\n"
            + "".join(f"  - split: {s}\n    path: {c}_Latn/{s}.tsv\n" for s in ("train", "dev", "test"))
            for c in ("eng", "fra")
        )
        + "---\n"
    )
    config = yaml.safe_load((ROOT / "tests/config/tiny.yaml").read_text())
    config["datasets"] = {
        "taxi": {
            "languages": ["fr"],
            "files": {s: str(data / "taxi" / "{code}" / ("{code}_" + s + ".tsv")) for s in ("train", "dev", "test")},
            "text_column": "verse",
            "codes": {"en": {"code": "eng"}, "fr": {"code": "fra"}},
        },
        "marc": {
            "languages": ["fr"],
            "format": "jsonl",
            "files": {s: str(data / "marc" / "{lang}" / f"{s}.jsonl") for s in ("train", "dev", "test")},
            "text_column": "review_body",
            "label_column": "stars",
            "label_map": {"1": "negative", "3": "neutral", "5": "positive"},
        },
        "sib": {
            "kind": "huggingface",
            "languages": ["fr"],
            "name": str(data / "sib"),
            "config": "{code}_Latn",
            "codes": {"en": {"code": "eng"}, "fr": {"code": "fra"}},
            "text_column": "text",
            "label_column": "category",
            "split_names": {"dev": "dev"},
        },
        "intents": {**config["datasets"]["intents"], "languages": ["fr"]},
    }
    configfile = tmp_path / "kinds.yaml"
    configfile.write_text(yaml.safe_dump(config))
    targets = [f"results/tiny/data/{d}/{lang}.tsv" for d in config["datasets"] for lang in ("en", "fr")]
    run_snakemake("--configfile", str(configfile), "--directory", str(tmp_path), "--cores", "1", *targets)
    for dataset, labels in (
        ("taxi", {"Faith", "Sin"}),
        ("marc", {"negative", "neutral", "positive"}),
        ("sib", {"science", "sports", "travel"}),
    ):
        en = datasets.read_table(tmp_path / f"results/tiny/data/{dataset}/en.tsv")
        fr = datasets.read_table(tmp_path / f"results/tiny/data/{dataset}/fr.tsv")
        assert set(en["split"]) == {"train", "dev", "test"} and set(fr["split"]) >= {"test"}
        assert set(en["label"]) == labels == set(fr["label"]), dataset
    intents = datasets.read_table(tmp_path / "results/tiny/data/intents/fr.tsv")
    assert len(intents) > 50
