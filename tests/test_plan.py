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
    assert (
        plan.anchor_settings({"anchors": {"n": None}, "sweeps": {"anchors": [{"name": "r5", "n": 5}]}})["r5"]["n"] == 5
    )
