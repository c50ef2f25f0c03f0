import numpy as np
import pytest
from mosecrot.anchors import read_anchors, select_anchors, whole_word_vocab, write_anchors
from mosecrot.io import PipelineInputError

PLM = {"[CLS]": 0, "[UNK]": 1, "dog": 2, "Dog": 3, "cat": 4, "house": 5, "##s": 6, "the": 7, "hound": 8}
TARGET = {"hund": 0, "katze": 1, "haus": 2, "der": 3, "Köter": 4}
PAIRS = [
    ("dog", "hund"),
    ("hound", "hund"),
    ("cat", "Katze"),
    ("house", "haus"),
    ("the", "der"),
    ("s", "x"),
    ("tree", "baum"),
    ("Dog", "köter"),
]


def _select(**kwargs):
    defaults = dict(
        pairs=PAIRS,
        plm_vocab=whole_word_vocab(PLM, {"[CLS]", "[UNK]"}),
        target_index=TARGET,
        lang="de",
        english_casing=["exact", "lower"],
        target_casing=["exact", "lower"],
    )
    return select_anchors(**{**defaults, **kwargs})


def test_whole_words_casing_and_one_translation_per_target():
    anchors, held, stats = _select()
    assert [(a.english, a.target) for a in anchors] == [
        ("dog", "hund"),
        ("cat", "katze"),
        ("house", "haus"),
        ("the", "der"),
    ]
    assert stats["in_plm_and_target_vocab"] == 5 and stats["anchors"] == 4 and not held
    assert [a.target_row for a in anchors] == sorted(a.target_row for a in anchors)


def test_casing_order_changes_the_match():
    anchors, _, _ = _select(target_casing=["exact"])
    assert "katze" not in [a.target for a in anchors]
    anchors, _, _ = _select(target_casing=["exact", "lower", "title"])
    assert ("Dog", "Köter") in [(a.english, a.target) for a in anchors]


def test_keep_all_translations_and_stop_words():
    anchors, _, _ = _select(one_per_target="all")
    assert {("dog", "hund"), ("hound", "hund")} <= {(a.english, a.target) for a in anchors}
    anchors, _, stats = _select(stop_word_filter=True)
    assert "the" not in [a.english for a in anchors] and stats["after_stop_words"] < stats["in_plm_and_target_vocab"]


def test_most_frequent_english_policy():
    anchors, _, _ = _select(one_per_target="most_frequent_english", english_rank={"dog": 5.0, "hound": 6.0})
    assert ("hound", "hund") in {(a.english, a.target) for a in anchors}


def test_held_out_pairs_share_no_word_with_the_anchors():
    """Neither the held-out target word nor its English gold may stay an anchor (MUSE's
    train/test split keeps the source words disjoint)."""
    pairs = [("dog", "hund"), ("dog", "köter"), ("cat", "katze"), ("house", "haus"), ("the", "der"), ("hound", "hund")]
    everything, _, _ = _select(pairs=pairs, one_per_target="all")
    for seed in range(6):
        anchors, held, stats = _select(pairs=pairs, held_out_share=0.4, seed=seed, one_per_target="all")
        assert held
        held_rows, held_ids = {a.target_row for a in held}, {a.token_id for a in held}
        assert not held_rows & {a.target_row for a in anchors} and not held_ids & {a.token_id for a in anchors}
        # Independently: every pair not held out stays an anchor unless its English word is held out.
        expected = [a for a in everything if a.target_row not in held_rows and a.token_id not in held_ids]
        assert anchors == expected
        removed = [a for a in everything if a.target_row not in held_rows and a.token_id in held_ids]
        assert stats["anchors_removed_sharing_held_out_english"] == len(removed)
        assert stats["held_out_english_words"] == len(held_ids)


def test_pairs_lost_to_the_vector_cap_are_counted():
    """A dictionary word that the vectors.top_n cap dropped from the vocabulary is counted."""
    _, _, stats = _select(pairs=[*PAIRS, ("house", "gebäude"), ("cat", "mieze")], beyond_top_n={"gebäude", "mieze"})
    assert stats["pairs_lost_to_vectors_top_n"] == 2 and stats["target_words_lost_to_vectors_top_n"] == 2
    _, _, stats = _select()
    assert "pairs_lost_to_vectors_top_n" not in stats


@pytest.mark.parametrize("strategy", ["random", "frequent", "spread"])
def test_subsampling_is_deterministic(strategy):
    matrix = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    first, _, _ = _select(strategy=strategy, n=2, seed=1, target_matrix=matrix)
    second, _, _ = _select(strategy=strategy, n=2, seed=1, target_matrix=matrix)
    assert first == second and len(first) == 2
    if strategy == "frequent":
        assert [a.target for a in first] == ["hund", "katze"]


def test_empty_selection_is_an_error():
    with pytest.raises(PipelineInputError, match="no anchor left for de"):
        _select(pairs=[("tree", "baum")])


def test_anchor_file_roundtrip(tmp_path):
    anchors, _, _ = _select()
    write_anchors(tmp_path / "a.tsv", anchors)
    assert read_anchors(tmp_path / "a.tsv") == anchors


def test_every_anchor_set_holds_out_the_same_pairs():
    """A sweep's subsets (stop words removed, random N) are compared with the main set:
    the same held-out pairs must leave all of them, whatever the filters remove."""
    pairs = [("dog", "hund"), ("cat", "katze"), ("house", "haus"), ("the", "der"), ("hound", "köter")]
    pairs += [("hound", "hund"), ("dog", "köter"), ("the", "haus")]  # more than one translation per word
    main, main_held, _ = _select(pairs=pairs, held_out_share=0.4, seed=3)
    assert len(main_held) > len({a.target for a in main_held})  # a held-out word with two gold translations
    for options in ({"stop_word_filter": True}, {"strategy": "random", "n": 2}, {"min_length": 4}):
        subset, held, _ = _select(pairs=pairs, held_out_share=0.4, seed=3, **options)
        assert held == main_held and set(subset) <= set(main)


def test_the_config_path_picks_the_most_frequent_translation_and_keeps_the_held_out_share():
    """Through the schema's defaults, as a run sees them: FreeDict's alphabetical order
    must not choose the anchor (vous -> thou), and sweep sets hold out like the main set."""
    from pathlib import Path

    import yaml
    from mosecrot import plan
    from snakemake.utils import validate

    root = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((root / "config/demo.yaml").read_text())
    validate(config, str(root / "workflow/schemas/config.schema.yaml"), set_default=True)
    sets = plan.anchor_settings(config)
    assert sets["main"]["one_per_target"] == sets["nodict"]["one_per_target"] == "most_frequent_english"
    assert sets["onetoone"]["one_per_target"] == "one_to_one"  # the demo's anchor-policy comparison
    assert sets["nodict"]["lexicon"] == "induced"
    assert {s["held_out_share"] for s in sets.values()} == {config["anchors"]["held_out_share"]} != {0.0}
    from wordfreq import zipf_frequency

    rank = {w: zipf_frequency(w, "en") for w in ("thou", "you", "at", "of")}
    plm = {"thou": 0, "you": 1, "at": 2, "of": 3}
    chosen, _, _ = select_anchors(
        [("thou", "vous"), ("you", "vous"), ("at", "de"), ("of", "de")],
        plm,
        {"de": 0, "vous": 1},
        "fr",
        ["lower"],
        ["exact"],
        one_per_target=sets["main"]["one_per_target"],
        english_rank=rank,
    )
    assert {(a.target, a.english) for a in chosen} == {("vous", "you"), ("de", "of")}


def test_the_held_out_gold_accepts_every_translation_that_is_not_an_anchor():
    """haus -> house is held out; home translates haus too and is no anchor, so it is gold;
    building translates gebäude, an anchor, so it is not."""
    plm = {"house": 0, "home": 1, "building": 2, "dog": 3, "cat": 4}
    target = {"haus": 0, "gebäude": 1, "hund": 2, "katze": 3}
    pairs = [("house", "haus"), ("home", "haus"), ("building", "haus"), ("building", "gebäude")]
    pairs += [("dog", "hund"), ("cat", "katze")]
    rank = {"house": 6.0, "home": 5.0, "building": 4.0, "dog": 5.0, "cat": 5.0}
    for seed in range(20):
        anchors, held, stats = select_anchors(
            pairs, plm, target, "de", ["lower"], ["exact"], held_out_share=0.25, seed=seed, english_rank=rank
        )
        if {a.target for a in held} == {"haus"}:
            break
    assert {(a.english, a.target) for a in held} == {("house", "haus"), ("home", "haus")}
    assert ("building", "gebäude") in {(a.english, a.target) for a in anchors}
    assert stats["held_out"] == 1 and stats["held_out_gold_pairs"] == 2


def test_a_subset_scores_the_same_held_out_gold_as_the_main_set():
    """hound translates the held-out hund and is the main set's anchor for köter; a subset
    that drops köter (max_target_rank) must not accept hound as gold where the main set
    does not: both score the same pairs."""
    pairs = [("dog", "hund"), ("hound", "hund"), ("hound", "köter"), ("cat", "katze"), ("house", "haus")]
    pairs += [("the", "der")]
    target = {"hund": 0, "katze": 1, "haus": 2, "der": 3, "köter": 4}
    for seed in range(40):
        main, held, _ = _select(pairs=pairs, target_index=target, held_out_share=0.2, seed=seed)
        if {a.target for a in held} == {"hund"}:
            break
    assert ("hound", "köter") in {(a.english, a.target) for a in main}
    subset, subset_held, _ = _select(pairs=pairs, target_index=target, held_out_share=0.2, seed=seed, max_target_rank=4)
    assert "köter" not in {a.target for a in subset}
    assert subset_held == held == [a for a in held if a.english == "dog"]


ONE_TO_ONE_PLM = {"the": 0, "light": 1, "set": 2, "bright": 3, "clear": 4, "group": 5, "device": 6}
ONE_TO_ONE_TARGET = {"la": 0, "le": 1, "les": 2, "léger": 3, "clair": 4, "série": 5, "appareil": 6}
ONE_TO_ONE_PAIRS = [
    ("the", "la"),
    ("the", "la"),  # a repeated pair
    ("the", "le"),
    ("the", "les"),
    ("light", "léger"),
    ("light", "clair"),
    ("clear", "clair"),
    ("bright", "clair"),
    ("set", "série"),
    ("group", "série"),
    ("set", "appareil"),
    ("device", "appareil"),
]
ONE_TO_ONE_RANK = {"the": 7.0, "light": 5.0, "set": 5.5, "bright": 4.0, "clear": 4.0, "group": 4.5, "device": 4.2}


def test_one_to_one_anchors_keep_english_words_apart():
    """The default maps "the" onto la/le/les and "set" onto série/appareil (their rows then
    coincide); one-to-one gives each English word one target word, the most frequent target
    first, each taking its most frequent English translation still free (a tie: the lower id)."""
    common = dict(
        pairs=ONE_TO_ONE_PAIRS,
        plm_vocab=ONE_TO_ONE_PLM,
        target_index=ONE_TO_ONE_TARGET,
        english_rank=ONE_TO_ONE_RANK,
    )
    default, _, _ = _select(**common)
    assert [a.english for a in default] == ["the", "the", "the", "light", "light", "set", "set"]
    chosen, _, stats = _select(**common, one_per_target="one_to_one")
    assert [(a.english, a.target) for a in chosen] == [
        ("the", "la"),
        ("light", "léger"),
        ("bright", "clair"),  # clear and bright tie on frequency: bright has the lower id
        ("set", "série"),
        ("device", "appareil"),  # set is taken by the more frequent série
    ]
    assert stats["after_one_to_one"] == 5 and stats["distinct_english_anchors"] == 5


def _random_dictionary(seed: int):
    rng = np.random.default_rng(seed)
    english = {f"e{i}": i for i in range(60)}
    target = {f"t{i}": i for i in range(150)}
    pairs = [(f"e{int(rng.integers(0, 60))}", f"t{t}") for t in range(150) for _ in range(int(rng.integers(1, 4)))]
    pairs += pairs[:10]  # repeated pairs
    rank = {w: float(rng.integers(0, 4)) for w in english}  # many ties
    return pairs, english, target, rank


def _naive_one_to_one(pairs, english, target, rank, held_rows, forbidden_english):
    """Written from the definition, with none of the library's helpers."""
    taken, out = set(), []
    for word, row in sorted(target.items(), key=lambda item: item[1]):
        if row in held_rows:
            continue
        options = sorted(
            {e for e, t in pairs if t == word and e not in forbidden_english and e not in taken},
            key=lambda e: (-rank[e], english[e]),
        )
        if options:
            taken.add(options[0])
            out.append((options[0], word))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_to_one_against_a_naive_greedy_and_with_the_default_held_out_gold(seed):
    pairs, english, target, rank = _random_dictionary(seed)
    common = dict(pairs=pairs, plm_vocab=english, target_index=target, english_rank=rank, held_out_share=0.2, seed=7)
    default, default_held, _ = _select(**common)
    chosen, held, _ = _select(**common, one_per_target="one_to_one")
    assert held == default_held and held  # the lexicon-induction gold is the default's
    held_rows = {a.target_row for a in held}
    # No English word that translates a held-out word may anchor (the gold would leak).
    forbidden = {e for e, t in pairs if target[t] in held_rows}
    assert [(a.english, a.target) for a in chosen] == _naive_one_to_one(
        pairs, english, target, rank, held_rows, forbidden
    )
    assert len({a.token_id for a in chosen}) == len(chosen) <= len(english)  # each English word once
    assert not {a.token_id for a in chosen} & {a.token_id for a in held}


def test_excluded_words_never_anchor():
    pairs, english, target, rank = _random_dictionary(3)
    rows, tokens = {0, 5, 9}, {1, 2}
    chosen, held, stats = _select(
        pairs=pairs, plm_vocab=english, target_index=target, english_rank=rank, excluded=(rows, tokens)
    )
    assert chosen and not held and "after_excluding_held_out_words" in stats
    assert not {a.target_row for a in chosen} & rows and not {a.token_id for a in chosen} & tokens
