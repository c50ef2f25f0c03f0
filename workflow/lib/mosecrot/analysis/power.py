"""Planning from a pilot: how many seeds each claim family needs to detect a given
difference, with the variances a finished run measured taken as the true ones."""

from __future__ import annotations

import math

import pandas as pd

from mosecrot import stats
from mosecrot.analysis.claims import POWER

MODEL = (
    "each claim row's test as the pilot ran it (Welch t on seed means, README Statistics): its seed-to-seed "
    "variances and test-set variance taken from the pilot as the true ones; m seeds for every stochastic method "
    "(a deterministic one keeps its one evaluation); the test-set term does not shrink with seeds, only with "
    "more test examples (divided by the test-set scale); {power:.0%} power at Holm's strictest level, alpha / "
    "the pilot's family size"
)


def seeds_per_family(
    claims: pd.DataFrame, difference: float, alpha: float, test_scale: float = 1.0, power: float = POWER
) -> pd.DataFrame:
    """Per claim family (the claims table's `group`): its tested rows, the seeds the row that
    needs most needs to detect `difference` (seeds_all), the seeds with which at least half
    the rows detect it (seeds_half), and the rows no seed count reaches (their test-set term
    alone is too large). A row counts whatever the sign of its
    observed difference: the question is what the design can detect, not what it found."""
    tested = claims[claims["verdict"] != "untested"] if "verdict" in claims else claims.iloc[0:0]
    if claims.size and tested.empty:
        raise ValueError(
            "the pilot tested no claim: a pilot needs two or more seeds per fine-tuned method to measure the "
            "seed-to-seed variance that the seed counts rest on"
        )
    needed_by_group: dict[str, list[int | None]] = {}
    level = alpha / max(len(tested), 1)
    for row in tested.itertuples():
        needed = stats.seeds_needed(
            (row.seed_sd_better**2, row.seed_sd_worse**2),
            row.test_set_sd**2 / test_scale,
            difference,
            level,
            power,
            deterministic=(row.seeds_better == 1, row.seeds_worse == 1),
        )
        needed_by_group.setdefault(row.group, []).append(needed)
    rows = []
    for group, needed in needed_by_group.items():
        counts = sorted(math.inf if n is None else n for n in needed)  # inf: no seed count reaches it
        half = counts[(len(counts) - 1) // 2]  # with this many seeds at least half the rows detect it
        rows.append(
            {
                "group": group,
                "rows": len(counts),
                "unreachable": sum(math.isinf(n) for n in counts),
                "seeds_half": math.nan if math.isinf(half) else half,
                "seeds_all": math.nan if math.isinf(counts[-1]) else counts[-1],
            }
        )
    return pd.DataFrame(rows, columns=["group", "rows", "unreachable", "seeds_half", "seeds_all"])


def seeds_per_family_text(
    claims: pd.DataFrame, difference: float, alpha: float, test_scale: float = 1.0, power: float = POWER
) -> str:
    """seeds_per_family as the lines `make plan` prints, with the model behind them."""
    table = seeds_per_family(claims, difference, alpha, test_scale, power)
    lines = [
        f"Seeds to detect a difference of {difference:g} macro-F1 (test sets x{test_scale:g}), per claim family:",
        f"  model: {MODEL.format(power=power)}",
    ]
    if table.empty:
        return "\n".join(lines + ["  no tested claim in the pilot"]) + "\n"
    for row in table.itertuples():
        every = "no seed count" if math.isnan(row.seeds_all) else f"{int(row.seeds_all)}"
        half = "no seed count" if math.isnan(row.seeds_half) else f"{int(row.seeds_half)}"
        lines.append(
            f"  {row.group}: every row {every}, at least half the rows {half} (of {row.rows} rows; "
            f"{row.unreachable} beyond 1,000 seeds or out of any seed count's reach: more test examples needed)"
        )
    return "\n".join(lines) + "\n"
