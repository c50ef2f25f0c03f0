"""What a run will do, before anyone spends GPU hours:  make plan CONFIG=config/config.yaml
With a finished run as a pilot, also the seeds each claim family needs to detect a given
difference:  make plan CONFIG=config/demo.yaml PILOT=results/demo DIFFERENCE=0.05

Jobs per rule come from Snakemake's own dry run of the config (nothing is run or
downloaded). Disk and time are estimates, each printed with what it rests on: the sizes
follow from the config (vocabulary, model width) and the scale bench's measurement of the
words a build keeps; the fine-tuning time from `make bench`'s measured throughput
(bench/out/bench.json), scaled to the configured model as stated in the output."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "lib"))

BENCH = ROOT / "bench" / "out" / "bench.json"
# English training examples per dataset where the data is not prepared yet (method.md).
PUBLISHED_TRAIN_SIZES = {"taxi1500": 860, "marc": 200_000, "intents": 240}
# bert-base vs the benchmarked all-MiniLM-L6-v2: 12 vs 6 layers of width 768 vs 384; a
# layer's work grows with the square of its width, so 2 x 4 = 8x the work per token.
MODEL_WORK = {"bert-base": 8.0, "minilm": 1.0}
GPU_SPEEDUP = 50  # ASSUMED: one data-centre GPU vs the bench's 2 CPU cores (not measured here)
BENCH_MAX_LENGTH = 48  # bench/run.py FINETUNE
WORDS_READ_DEFAULT = 60_000  # dataset and dictionary words a build keeps, if the bench has not run
CHECKPOINT_GB = {"bert-base": 0.43, "minilm": 0.09}


def job_counts(config: str) -> dict[str, int]:
    """Jobs per rule, from Snakemake's dry run (its 'Job stats' table)."""
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--configfile", config, "-n", "--quiet", "rules"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"snakemake's dry run of {config} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    if "Job stats:" not in result.stdout:  # nothing left to do
        return {}
    table = result.stdout.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


def _config(path: str) -> dict:
    from snakemake.utils import validate

    config = yaml.safe_load((ROOT / path).read_text())
    validate(config, str(ROOT / "workflow/schemas/config.schema.yaml"))
    return config


def _model_family(config: dict) -> str:
    source = config["models"]["source"]
    name = str(source.get("id") or source.get("package") or source.get("path"))
    return "bert-base" if "bert-base" in name else "minilm"


def _train_size(config: dict, dataset: str) -> tuple[int, str]:
    table = ROOT / "results" / config["run"] / "data" / dataset / "en.tsv"
    if table.exists():
        rows = sum(1 for line in table.read_text(encoding="utf-8").splitlines() if line.startswith("train\t"))
        return rows, f"counted in {table.relative_to(ROOT)}"
    return PUBLISHED_TRAIN_SIZES.get(dataset, 0), "the published split size, method.md"


def pilot_section(config: dict, pilot: str, difference: float, test_scale: float) -> str:
    """The seeds per claim family, from a finished run's claims table (tables/claims.csv)."""
    import pandas as pd
    from mosecrot.analysis.power import seeds_per_family_text

    path = Path(pilot) / "tables" / "claims.csv"
    if not path.exists():
        raise SystemExit(f"{path}: no claims table; run the pilot to the end first (its aggregate rule writes it)")
    claims = pd.read_csv(path)
    if "test_set_sd" not in claims:
        raise SystemExit(f"{path}: written before claims kept their variances; rerun its aggregate rule")
    alpha = config["analysis"]["alpha"]
    try:
        return f"Pilot: {path} (alpha {alpha})\n" + seeds_per_family_text(claims, difference, alpha, test_scale)
    except ValueError as error:
        raise SystemExit(f"{path}: {error}") from None


def main(config_path: str, pilot: str | None = None, difference: float = 0.05, test_scale: float = 1.0) -> None:
    config = _config(config_path)
    if pilot:
        print(pilot_section(config, pilot, difference, test_scale))
    counts = job_counts(config_path)
    bench = json.loads(BENCH.read_text()) if BENCH.exists() else {}
    family = _model_family(config)
    print(f"Plan for {config_path} (run '{config['run']}'), the jobs still to run by Snakemake's dry run:\n")
    if not counts:
        print("  nothing: every output is up to date")
        return
    width = max(map(len, counts))
    for rule, count in counts.items():
        print(f"  {rule:<{width}}  {count:>6}")
    print(f"  {'total':<{width}}  {sum(counts.values()):>6}\n")

    # Disk: the vectors (raw .vec and cache), the relative builds, the checkpoints.
    from mosecrot import plan

    dim, top_n = config["vectors"]["dim"], config["vectors"]["top_n"]
    file_words = 2_500_000  # a fastText Wikipedia file holds about 2.5M words, whatever top_n keeps
    words = min(top_n or file_words, file_words)
    languages = len(config["languages"]) + bool(config.get("english_vectors"))
    vectors_gb = languages * (file_words * dim * 9 + words * dim * 4) / 1e9  # text (~9 bytes a number) + cache
    plm_dim = 768 if family == "bert-base" else 384
    plm_vocab = 28_996 if family == "bert-base" else 30_522
    measured = bench.get("paper_scale", {})
    words_read = int(measured.get("words_read", WORDS_READ_DEFAULT))
    k = config["relrep"]["k"]
    build_gb = (plm_vocab * plm_dim * 4 + words_read * (plm_dim * 4 + 8 * (k if k != "all" else 0))) / 1e9
    others = counts.get("build_linear_map", 0) + counts.get("build_peer_embeddings", 0)
    builds_gb = counts.get("build_relative_embeddings", 0) * build_gb + others * words_read * plm_dim * 4 / 1e9
    finetunes = counts.get("finetune", 0)
    checkpoints_gb = finetunes * CHECKPOINT_GB[family]
    keep = config["training"]["keep_checkpoints"]
    print("Disk (estimates):")
    print(f"  vectors: {vectors_gb:,.0f} GB ({languages} languages x {words:,} words x {dim}: .vec text and cache)")
    source = "in make bench's paper-scale run (a synthetic 15k-pair dictionary)" if measured else "assumed"
    per_10k = 10_000 * (plm_dim * 4 + 8 * (k if k != "all" else 0)) / 1e9
    print(
        f"  constructions: {builds_gb:,.1f} GB ({build_gb:.2f} GB a relative build: F_s for {plm_vocab:,} tokens "
        f"and F_t for {words_read:,} words read, {source}; every 10k more words read, e.g. from a larger "
        f"dictionary, add {per_10k:.3f} GB a build)"
    )
    searches = counts.get("search_target_neighbours", 0)
    search_gb = file_words * 8 * (k if k != "all" else 0) / 1e9
    print(f"  temporary searches: {search_gb:.1f} GB each while its builds run ({searches} in all)")
    print(
        f"  checkpoints: {checkpoints_gb:,.0f} GB if all {finetunes} fine-tunings were kept "
        f"({CHECKPOINT_GB[family]} GB each); keep_checkpoints is {keep}: "
        + ("all are kept" if keep else "each is deleted once its evaluations are done")
    )
    end = vectors_gb + builds_gb + (checkpoints_gb if keep else 0)
    print(
        f"  at the end: {end:,.0f} GB; at the peak add the running searches, the resume state of each running "
        f"fine-tuning (model, optimiser and best state: about {3 * CHECKPOINT_GB[family]:.1f} GB each)"
        + ("" if keep else " and the checkpoints still awaiting their evaluations")
        + "\n"
    )

    # Fine-tuning time: every trained model reads its dataset's English training set.
    k_default = config["relrep"]["k"]
    models = {
        (dataset, plan.training_language(method, lang), method.training, seed)
        for dataset, lang, name, seed in plan.evaluation_jobs(config)
        if (method := plan.parse_method(name, k_default)).training
    }
    if len(models) != finetunes:
        print(f"  (note: {len(models)} trained models counted here, {finetunes} finetune jobs in the dry run)")
    examples = 0
    print("Training data:")
    for dataset in config["datasets"]:
        size, source = _train_size(config, dataset)
        trained = sum(1 for model in models if model[0] == dataset)
        print(f"  {dataset}: {size:,} English training examples ({source}), {trained} fine-tunings")
        examples += size * config["training"]["epochs"] * trained
    throughput = bench.get("finetune", {}).get("ours_ex_per_s")
    print("\nFine-tuning (estimates):")
    if throughput is None:
        print("  no measured throughput: run `make bench` first (bench/out/bench.json)")
        return
    # Work per example grows with its length: the bench trains at max_length 48; scaling by the
    # configured max_length is an upper bound (batches are padded to their longest sentence).
    length = config["training"]["max_length"] / BENCH_MAX_LENGTH
    cpu_rate = float(throughput) / MODEL_WORK[family] * MODEL_WORK["minilm"] / max(length, 1.0)
    cpu_hours = examples / cpu_rate / 3600
    print(
        f"  {finetunes} fine-tunings, about {examples:,} training examples in all (epochs x examples x models)\n"
        f"  measured: {float(throughput):.1f} examples/s for all-MiniLM-L6-v2 on 2 CPU cores (make bench, "
        f"{bench['finetune'].get('measured_on', '?')}); {family} is {MODEL_WORK[family]:.0f}x its work per token, "
        f"and max_length {config['training']['max_length']} is up to {max(length, 1.0):.1f}x the bench's tokens\n"
        f"  2 CPU cores: {cpu_hours:,.0f} hours; GPU: {cpu_hours / GPU_SPEEDUP:,.1f} GPU hours, ASSUMING one GPU "
        f"is {GPU_SPEEDUP}x these 2 cores (no GPU measured here; the paper reports ~30 min per Taxi1500 "
        "fine-tuning on one GTX 1080 Ti)"
    )


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text}: must be positive")
    return value


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default="config/config.yaml")
    parser.add_argument("--pilot", help="a finished run's results folder, e.g. results/demo")
    parser.add_argument("--difference", type=_positive, default=0.05, help="macro-F1 difference to detect (0.05)")
    parser.add_argument("--test-scale", type=_positive, default=1.0, help="test sets this many times larger (1)")
    args = parser.parse_args()
    main(args.config, args.pilot, args.difference, args.test_scale)
