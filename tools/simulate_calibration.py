"""Rejection rates at alpha 0.05 under simulated method-level nulls (two equally good
methods), at the demo's size: 168 test examples, 12 classes, 3 seeds per method. Compares
the pipeline's method-level test (stats.method_test) with a two-level bootstrap (seeds of
each method resampled, then the shared test examples) and an examples-only bootstrap (the
checkpoints held fixed). The README's Statistics table comes from this script:

    .venv/bin/python tools/simulate_calibration.py   # about 10 minutes on 2 cores

Each checkpoint (method, seed) answers example i correctly with probability
sigmoid(difficulty_i ± u_i + seed offset + per-example noise); u_i makes the two methods
good at different examples, equally often; with shared checkpoints both methods read the
same model of each seed (as LS and no-swap do)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "lib"))
from mosecrot import stats  # noqa: E402

RESAMPLES, SIMULATIONS, SEEDS, N, CLASSES = 500, 1000, 3, 168, 12
SCENARIOS = {
    "a whole-model offset per seed": {"seed_offset_sd": 0.4, "example_noise_sd": 0.0},
    "offset and per-example noise": {"seed_offset_sd": 0.15, "example_noise_sd": 0.8},
    "mostly per-example noise": {"seed_offset_sd": 0.05, "example_noise_sd": 1.2},
    "methods good at different examples": {"seed_offset_sd": 0.1, "example_noise_sd": 0.3, "interaction_sd": 2.5},
    "shared checkpoints (seeds paired)": {
        "seed_offset_sd": 0.4,
        "example_noise_sd": 0.3,
        "interaction_sd": 0.5,
        "shared": True,
    },
}


def rejection_rates(rng, seed_offset_sd, example_noise_sd, interaction_sd=0.0, shared=False) -> dict[str, float]:
    rejected = {"method-level test": [], "two-level bootstrap": [], "examples only": []}
    for _ in range(SIMULATIONS):
        gold = rng.integers(0, CLASSES, N)
        difficulty = rng.normal(-0.2, 1.5, N)
        interaction = rng.normal(0, interaction_sd, N) if interaction_sd else np.zeros(N)
        offsets = rng.normal(0, seed_offset_sd, (SEEDS, 1))

        def checkpoints(sign, gold=gold, difficulty=difficulty, interaction=interaction, offsets=offsets):
            offset = offsets if shared else rng.normal(0, seed_offset_sd, (SEEDS, 1))
            logits = difficulty + sign * interaction + offset + rng.normal(0, example_noise_sd, (SEEDS, N))
            right = rng.random((SEEDS, N)) < 1 / (1 + np.exp(-logits))
            return np.where(right, gold, (gold + rng.integers(1, CLASSES, (SEEDS, N))) % CLASSES).astype(str)

        a, b = checkpoints(1), checkpoints(-1)
        labels = gold.astype(str).tolist()
        test = stats.method_test(labels, a, b, RESAMPLES, 1, shared_checkpoints=shared)
        rejected["method-level test"].append(test.p_value < 0.05)
        (obs_a, rep_a), (obs_b, rep_b) = stats.seed_replicates(labels, [a, b], RESAMPLES, np.random.default_rng(1))
        observed = obs_a.mean() - obs_b.mean()
        boot = rep_a.mean(axis=1) - rep_b.mean(axis=1)
        rejected["examples only"].append(
            (1 + np.sum(np.abs(boot - observed) >= abs(observed))) / (RESAMPLES + 1) < 0.05
        )
        draw = np.random.default_rng(2)
        seeds_a = draw.integers(0, SEEDS, (RESAMPLES, SEEDS))
        seeds_b = seeds_a if shared else draw.integers(0, SEEDS, (RESAMPLES, SEEDS))
        two = np.take_along_axis(rep_a, seeds_a, 1).mean(axis=1) - np.take_along_axis(rep_b, seeds_b, 1).mean(axis=1)
        rejected["two-level bootstrap"].append(
            (1 + np.sum(np.abs(two - observed) >= abs(observed))) / (RESAMPLES + 1) < 0.05
        )
    return {name: float(np.mean(values)) for name, values in rejected.items()}


if __name__ == "__main__":
    header = None
    for name, settings in SCENARIOS.items():
        rates = rejection_rates(np.random.default_rng(11), **settings)
        if header is None:
            header = list(rates)
            print("| scenario | " + " | ".join(header) + " |\n|---" * 1 + "|---" * len(header) + "|")
        print(f"| {name} | " + " | ".join(f"{100 * rates[k]:.1f} %" for k in header) + " |", flush=True)
