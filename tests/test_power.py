"""Planning from a pilot (make plan PILOT=...): the seeds per claim family follow from each
row's own variances, rows the test-set term keeps out of reach are counted as such, and the
tool reads a real claims table written by finalize_claims."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mosecrot import analysis, stats
from mosecrot.analysis.power import seeds_per_family, seeds_per_family_text

ROOT = Path(__file__).resolve().parents[1]


def _row(group, var_better, var_worse, test_set, seeds=(3, 3)):
    return {
        "group": group,
        "verdict": "not significant",
        "seed_sd_better": math.sqrt(var_better),
        "seed_sd_worse": math.sqrt(var_worse),
        "test_set_sd": math.sqrt(test_set),
        "seeds_better": seeds[0],
        "seeds_worse": seeds[1],
    }


def test_seeds_per_family_from_each_rows_variances():
    claims = pd.DataFrame(
        [
            _row("a", 0.002, 0.001, 0.0001),
            _row("a", 0.006, 0.003, 0.0001),
            _row("a", 0.001, 0.0, 0.0001, seeds=(3, 1)),  # against a deterministic method
            _row("b", 0.002, 0.002, 0.01),  # the test-set term alone is too large
            _row("b", 0.002, 0.002, 0.0001),
            {"group": "b", "verdict": "untested"},
        ]
    )
    table = seeds_per_family(claims, 0.1, 0.05).set_index("group")
    level = 0.05 / 5  # five tested rows
    needed = [
        stats.seeds_needed((0.002, 0.001), 0.0001, 0.1, level),
        stats.seeds_needed((0.006, 0.003), 0.0001, 0.1, level),
        stats.seeds_needed((0.001, 0.0), 0.0001, 0.1, level, deterministic=(False, True)),
    ]
    assert table.loc["a", "seeds_all"] == max(needed) and table.loc["a", "seeds_half"] == sorted(needed)[1]
    assert table.loc["a", "rows"] == 3 and table.loc["a", "unreachable"] == 0
    assert table.loc["b", "rows"] == 2 and table.loc["b", "unreachable"] == 1
    assert math.isnan(table.loc["b", "seeds_all"])
    # With one of two rows out of reach, "at least half the rows" is the other row's count.
    assert table.loc["b", "seeds_half"] == stats.seeds_needed((0.002, 0.002), 0.0001, 0.1, level)
    # A hundred times the test examples bring the second row into reach.
    assert seeds_per_family(claims, 0.1, 0.05, test_scale=100).set_index("group").loc["b", "unreachable"] == 0
    text = seeds_per_family_text(claims, 0.1, 0.05)
    assert "model:" in text and "1 beyond 1,000 seeds or out of any seed count's reach" in text
    one_seed = pd.DataFrame([{"group": "a", "verdict": "untested", "untested": "x: one seed, no seed variance"}])
    with pytest.raises(ValueError, match="a pilot needs two or more seeds"):
        seeds_per_family(one_seed, 0.1, 0.05)


def _load_plan_tool():
    spec = importlib.util.spec_from_file_location("plan_tool", ROOT / "tools" / "plan.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_plan_reads_a_pilots_claims_table(tmp_path, rng):
    gold = list(rng.choice(["x", "y", "z"], 120))
    noisy = lambda accuracy: np.array(  # noqa: E731
        [[g if rng.random() < accuracy else rng.choice(["x", "y", "z"]) for g in gold] for _ in range(3)]
    )
    result = stats.method_test(gold, noisy(0.8), noisy(0.6), 500, 0)
    row = {
        "dataset": "d",
        "claim": "a beats b",
        "group": "g",
        "language": "fr",
        "better": "a",
        "worse": "b",
        "seeds_better": 3,
        "seeds_worse": 3,
        "difference": result.difference,
        "se": result.se,
        "df": result.df,
        "p_value": result.p_value,
        "seed_sd_better": math.sqrt(result.seed_variances[0]),
        "seed_sd_worse": math.sqrt(result.seed_variances[1]),
        "test_set_sd": math.sqrt(result.test_set_variance),
    }
    (tmp_path / "tables").mkdir()
    analysis.write_frame(analysis.finalize_claims([row], 0.05), tmp_path / "tables" / "claims.csv")
    tool = _load_plan_tool()
    text = tool.pilot_section(tool._config("config/demo.yaml"), str(tmp_path), 0.05, 1.0)
    stored = pd.read_csv(tmp_path / "tables" / "claims.csv").iloc[0]  # as the CSV keeps them: 4 decimals
    variances = (stored["seed_sd_better"] ** 2, stored["seed_sd_worse"] ** 2)
    expected = stats.seeds_needed(variances, stored["test_set_sd"] ** 2, 0.05, 0.05)
    assert expected == stats.seeds_needed(result.seed_variances, result.test_set_variance, 0.05, 0.05)
    assert f"  g: every row {expected if expected else 'no seed count'}" in text
    with pytest.raises(SystemExit, match="no claims table"):
        tool.pilot_section(tool._config("config/demo.yaml"), str(tmp_path / "missing"), 0.05, 1.0)
