"""Is the strongest baseline given its best shot? The demo's methods that matter most,
fine-tuned at several learning rates (and epochs), each rate chosen per method by English
dev only, with the target scores beside it:

  make rates                      # config/demo.yaml, the rates below, seeds 0-2
  .venv/bin/python tools/rate_sensitivity.py config/demo.yaml --rates 2e-4:4 1e-4:6 5e-5:10 2e-5:16 \\
      --methods multilingual wechsel rr-softmax --seeds 0 1 2

Each rate other than the config's own is a run of its own (run name <run>-lr<rate>-e<epochs>, the
config's seeds and test sets, no sweeps), started here with Snakemake; the config's own rate
reads the config's run (results/<run>, run it first). Writes results/<run>-rates/
sensitivity.md and .csv."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "lib"))

SNAKEMAKE = ROOT / ".venv" / "bin" / "snakemake"
NO_SWEEPS = {"k": [], "anchors": [], "codeswitch_rates": [], "codeswitch_disjoint": False,
             "codeswitch_mixup": False, "codeswitch_realign": False}  # fmt: skip


def run_name(run: str, rate: float, epochs: int) -> str:
    """<run>-lr<rate>-e<epochs> in the characters a run name may hold (1e-4 -> 1e-04)."""
    return f"{run}-lr{rate:.0e}-e{epochs}".replace("+", "").replace(".", "p")


def overlay(run: str, rate: float, epochs: int, methods: list[str], seeds: list[int]) -> dict:
    """The config overlay of one rate: a run of its own with only these methods and seeds."""
    return {
        "run": run_name(run, rate, epochs),
        "training": {"learning_rate": rate, "epochs": epochs},
        "methods": methods,
        "seeds": seeds,
        "sweeps": NO_SWEEPS,
    }


def main(
    config_path: str, rates: list[tuple[float, int]], methods: list[str], cores: int, seeds: list[int] | None = None
) -> None:
    from mosecrot import analysis
    from mosecrot.analysis import sensitivity

    config = yaml.safe_load((ROOT / config_path).read_text())
    run, training = config["run"], config["training"]
    seeds = seeds or config["seeds"]
    out = ROOT / "results" / f"{run}-rates"
    runs = []
    for rate, epochs in rates:
        if rate == training["learning_rate"] and epochs == training["epochs"]:
            name = run  # the config's own run: its models are the demo's
        else:
            settings = overlay(run, rate, epochs, methods, seeds)
            name = settings["run"]
            path = out / "overlays" / f"{name}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(settings))
            command = [str(SNAKEMAKE), "--configfile", config_path, str(path), "--cores", str(cores)]
            print(f"rate {rate:g}, {epochs} epochs: {' '.join(command)}", flush=True)
            subprocess.run(command, cwd=ROOT, check=True)
        evaluations = sorted((ROOT / "results" / name / "eval").glob("*/*/*/seed*.json"))
        if not evaluations:
            raise SystemExit(f"results/{name}: no evaluations; run its config first")
        per_seed = analysis.load_evaluations([str(p) for p in evaluations]).per_seed
        runs.append((rate, epochs, per_seed[per_seed["seed"].isin(seeds)]))  # every rate on the same seeds
    frame = sensitivity.rate_rows(runs, methods)
    out.mkdir(parents=True, exist_ok=True)
    analysis.write_frame(frame, out / "sensitivity.csv")
    text = sensitivity.rate_markdown(frame, training["learning_rate"])
    (out / "sensitivity.md").write_text(text, encoding="utf-8")
    print(text)


def _rate(text: str) -> tuple[float, int]:
    rate, _, epochs = text.partition(":")
    return float(rate), int(epochs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default="config/demo.yaml")
    parser.add_argument("--rates", nargs="+", type=_rate, default=[(2e-4, 4), (1e-4, 6), (5e-5, 10), (2e-5, 16)])
    parser.add_argument("--methods", nargs="+", default=["multilingual", "wechsel", "rr-softmax"])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seeds", nargs="+", type=int, help="the seeds of every rate (default: the config's)")
    args = parser.parse_args()
    main(args.config, args.rates, args.methods, args.cores, args.seeds)
