"""Rejection rates at alpha 0.05 under simulated method-level nulls (two methods equally
good as methods) at the demo's size: 168 test examples, 12 classes, 3 seeds per method
(mosecrot.calibration). The README's Statistics table comes from this script:

    .venv/bin/python tools/simulate_calibration.py   # about 10 minutes on 2 cores
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "lib"))
from mosecrot import calibration  # noqa: E402

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

COLUMNS = ("method-level test", "two-level bootstrap", "examples only")

if __name__ == "__main__":
    print("| scenario | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name, scenario in SCENARIOS.items():
        rates = calibration.rejection_rates(np.random.default_rng(11), 1000, 500, **scenario)
        print(f"| {name} | " + " | ".join(f"{100 * rates[c]:.1f} %" for c in COLUMNS) + " |", flush=True)
