import pytest
from mosecrot import plan


def test_method_grammar():
    method = plan.parse_method("rr-sparsemax-k10-ar500-frozen-static-tuned", 50)
    assert (method.kind, method.weighting, method.k, method.anchor_set, method.frozen, method.space, method.tuned) == (
        "rr",
        "sparsemax",
        "10",
        "r500",
        True,
        "static",
        True,
    )
    assert method.training == "rr-sparsemax-k10-ar500-frozen-static"
    assert method.relrep_variant == "sparsemax-k10-r500-static"
    base = plan.parse_method("rr-standard", 50)
    assert base.relrep_variant == "standard-k50-main-plm" and base.zero_shot
    assert plan.parse_method("ls", 50).training == "original"
    assert not plan.parse_method("lr", 50).zero_shot and plan.parse_method("lr", 50).training is None
    with pytest.raises(ValueError, match="unknown method"):
        plan.parse_method("rr-magic", 50)


def test_evaluation_jobs_and_sweeps():
    config = {
        "relrep": {"k": 50},
        "seeds": [0, 1],
        "methods": ["rr-standard", "lr", "multilingual"],
        "datasets": {"d": {"languages": ["fr", "fi"]}},
        "sweeps": {"weighting": "standard", "languages": ["fr"], "k": [1, "all"], "anchors": [{"name": "r500"}]},
    }
    jobs = plan.evaluation_jobs(config)
    assert ("d", "fr", "rr-standard-k1", 1) in jobs and ("d", "fr", "rr-standard-ar500", 0) in jobs
    assert not any(lang == "fi" and "-k" in method for _, lang, method, _ in jobs)
    assert [j for j in jobs if j[2] == "lr"] == [("d", "fr", "lr", 0), ("d", "fi", "lr", 0)]
    assert ("d", "en", "original", 1) in jobs and ("d", "en", "multilingual", 0) in jobs
    assert len(jobs) == len(set(jobs))
    seeds = plan.seeds_per_name(jobs)  # one evaluation job per method reads these seeds
    assert seeds["rr-standard"] == (0, 1) and seeds["rr-standard-k1"] == (0, 1) and seeds["lr"] == (0,)
    assert (
        plan.anchor_settings({"anchors": {"n": None}, "sweeps": {"anchors": [{"name": "r5", "n": 5}]}})["r5"]["n"] == 5
    )


def test_code_switched_method_grammar():
    rr = plan.parse_method("rr-softmax-aligned-cs-r50-disjoint-tuned", 50)
    assert (rr.kind, rr.space, rr.tuned, rr.codeswitch, rr.codeswitch_rate, rr.codeswitch_disjoint) == (
        "rr",
        "aligned",
        True,
        True,
        0.5,
        True,
    )
    # Its own model (the switched rows are the aligned build's), for its language only.
    assert rr.training == "rr-softmax-aligned-cs-r50-disjoint"
    assert plan.training_language(rr, "fr") == "fr"
    assert rr.base == "rr-softmax-aligned-tuned"
    assert plan.parse_method("rr-softmax-aligned", 50).training == "rr-softmax-static"
    wechsel = plan.parse_method("wechsel-cs", 50)
    assert (wechsel.kind, wechsel.codeswitch, wechsel.codeswitch_rate, wechsel.training) == (
        "wechsel",
        True,
        None,
        "wechsel-cs",
    )
    assert plan.training_language(wechsel, "fi") == "fi" and plan.parse_method("wechsel", 50).training == "original"
    assert plan.parse_method("dict", 50).training == "original"
    for bad in ("multilingual-cs", "lr-cs", "rr-standard-tuned-cs", "ls-cs-r101", "ls-cs-r"):
        with pytest.raises(ValueError):
            plan.parse_method(bad, 50)


def test_code_switching_sweep_trains_no_model_twice():
    config = {
        "datasets": {"d": {"languages": ["fr", "fi"]}},
        "methods": ["rr-standard", "rr-standard-cs", "multilingual"],
        "seeds": [0, 1],
        "codeswitch": {"rate": 0.3},
        "sweeps": {"weighting": "standard", "languages": ["fr"], "seeds": [0], "codeswitch_rates": [0, 10, 30, 50],
                   "codeswitch_disjoint": True},
    }  # fmt: skip
    jobs = plan.evaluation_jobs(config)
    fr = {(m, s) for d, lang, m, s in jobs if lang == "fr"}
    assert {m for m, _ in fr} == {
        "rr-standard",
        "rr-standard-cs",
        "multilingual",
        "rr-standard-cs-r10",
        "rr-standard-cs-r50",
        "rr-standard-cs-disjoint",
    }
    assert ("rr-standard-cs-r10", 1) not in fr and ("rr-standard-cs", 1) in fr  # sweep points: sweep seeds
    assert not [m for d, lang, m, s in jobs if lang == "fi" and "-r" in m]
    models = plan.stitched_models(config)
    assert ("d", "fr", "rr-standard-cs-r50", 0) in models and ("d", "fr", "rr-standard-cs", 1) in models
    config["sweeps"]["codeswitch_weighting"] = "softmax"  # the rate sweep on another weighting
    assert plan.sweep_methods(config) == ["rr-softmax", "rr-softmax-cs-r10", "rr-softmax-cs", "rr-softmax-cs-r50",
                                          "rr-softmax-cs-disjoint"]  # fmt: skip


def test_mixup_is_a_code_switching_suffix():
    method = plan.parse_method("rr-softmax-cs-disjoint-mixup-tuned", 50)
    assert method.codeswitch_mixup and method.codeswitch_disjoint and method.tuned
    assert method.base == "rr-softmax-tuned" and method.training == "rr-softmax-cs-disjoint-mixup"
    assert plan.parse_method("ls-cs-mixup", 50).codeswitch_mixup and not plan.parse_method("ls-cs", 50).codeswitch_mixup
    with pytest.raises(ValueError):
        plan.parse_method("rr-softmax-cs-mixup-disjoint", 50)  # the suffixes' order is fixed
    config = {"sweeps": {"weighting": "standard", "codeswitch_weighting": "softmax", "codeswitch_mixup": True}}
    assert plan.sweep_methods(config) == ["rr-softmax-cs-mixup"]


def test_realign_is_the_last_code_switching_suffix():
    method = plan.parse_method("wechsel-cs-r50-mixup-realign", 50)
    assert method.codeswitch_realign and method.codeswitch_mixup and method.codeswitch_rate == 0.5
    assert method.base == "wechsel" and plan.codeswitch_base("rr-standard-cs-realign-tuned") == "rr-standard-tuned"
    with pytest.raises(ValueError):
        plan.parse_method("rr-standard-cs-realign-mixup", 50)


def test_dictionary_free_twins_and_the_refined_alignment_in_the_grammar():
    """-nodict reads the induced dictionary's anchor set wherever the twin reads the real one;
    -refined (WECHSEL only) the refined dictionary alignment; both keep code-switching last."""
    rr = plan.parse_method("rr-softmax-nodict", 50)
    assert (rr.kind, rr.anchor_set, rr.relrep_variant, rr.training) == (
        "rr",
        plan.NODICT,
        "softmax-k50-nodict-plm",
        "rr-softmax-nodict",
    )
    assert rr.needs_english_vectors  # the induced dictionary aligns the two static spaces
    aligned = plan.parse_method("rr-softmax-k10-nodict-aligned-cs", 50)
    assert (aligned.k, aligned.anchor_set, aligned.space, aligned.codeswitch) == ("10", plan.NODICT, "aligned", True)
    for name, rows, anchor_set, refined in (
        ("ls-nodict", "ls-nodict", plan.NODICT, False),
        ("procrustes-nodict", "procrustes-nodict", plan.NODICT, False),
        ("wechsel-nodict", "wechsel-nodict", plan.NODICT, False),
        ("wechsel-refined", "wechsel-refined", "main", True),
        ("wechsel-nodict-cs", "wechsel-nodict", plan.NODICT, False),
        ("dict-nodict", "dict-nodict", plan.NODICT, False),
        ("dict-nodict-cs", "dict-nodict", plan.NODICT, False),
        ("wechsel", "wechsel", "main", False),
    ):
        method = plan.parse_method(name, 50)
        assert (method.rows_name, method.anchor_set, method.refined) == (rows, anchor_set, refined), name
    refined = plan.parse_method("rr-standard-aligned-refined", 50)
    assert (refined.space, refined.refined, refined.relrep_variant, refined.training) == (
        "aligned",
        True,
        "standard-k50-main-aligned-refined",
        "rr-standard-static",  # F_s is the -static model's, as for -aligned
    )
    assert plan.parse_method("rr-standard-aligned-refined-cs", 50).training == "rr-standard-aligned-refined-cs"
    switched = plan.parse_method("wechsel-refined-cs-r10", 50)
    assert switched.training == "wechsel-refined-cs-r10" and switched.base == "wechsel-refined"
    assert plan.parse_method("wechsel-nodict", 50).training == "original"  # the English model, as WECHSEL
    for bad in (
        "ls-refined",
        "focus-nodict",
        "dict-refined",
        "wechsel-nodict-refined",
        "rr-softmax-nodict-ar500",
        "rr-softmax-static-refined",
        "rr-softmax-refined",
    ):
        with pytest.raises(ValueError):
            plan.parse_method(bad, 50)


def test_the_nodict_anchor_set_exists_only_when_a_method_reads_it():
    config = {"anchors": {"held_out_share": 0.1}, "methods": ["rr-standard", "wechsel"]}
    assert set(plan.anchor_settings(config)) == {"main"}
    config["methods"].append("ls-nodict")
    sets = plan.anchor_settings(config)
    assert sets[plan.NODICT] == {"held_out_share": 0.1, "lexicon": "induced"}
    reserved = {
        "languages": {},
        "methods": ["rr-standard"],
        "english_vectors": {"kind": "local"},
        "sweeps": {"anchors": [{"name": "nodict", "n": 5}]},
    }
    with pytest.raises(plan.ConfigError, match="induced dictionary"):
        plan.check_config(reserved)
    with pytest.raises(plan.ConfigError, match="english_vectors"):
        plan.check_config({"languages": {}, "methods": ["rr-softmax-nodict"]})


def test_sweep_seeds_must_be_main_seeds():
    """A sweep's points are compared with the main methods seed by seed, and each evaluation
    job reads one seed list: a sweep seed outside seeds is refused before the run starts."""
    config = {"languages": {}, "methods": ["rr-standard"], "seeds": [0, 1], "sweeps": {"seeds": [1, 2]}}
    with pytest.raises(plan.ConfigError, match=r"sweeps.seeds: \[2\] not in seeds \[0, 1\]"):
        plan.check_config(config)
    config["sweeps"]["seeds"] = [1]
    plan.check_config(config)
