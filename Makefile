# Every target sets itself up: a fresh clone needs only `make bench` or `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
STAMP := .venv/.installed
SUITE ?= default
METHODS ?= all
SEEDS ?= 1
JOBS ?= 2
# each suite's runs apart (results/default, results/tabscm-small, ...) unless OUT is given
OUT ?= results/$(SUITE)
# With CUDA: the CUDA build of torch. Without: torch==2.13.0, which on this machine is a local
# CPU wheel (elsewhere set TORCH_INDEX=https://download.pytorch.org/whl/cpu to avoid the CUDA build).
TORCH_INDEX ?=

.PHONY: setup bench test test-fast train perf lint clean mutation

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
	  $(PY) -m pip install -q torch; \
	else \
	  $(PY) -m pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)); \
	fi
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

bench: setup
	$(PY) -m bench run --suite $(SUITE) --methods $(METHODS) --seeds $(SEEDS) --n-jobs $(JOBS) --out $(OUT)

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

# One run of a model's training: it resumes from <out>/<name>.resume.pt where that exists (a campaign's runs
# are committed), then trains the linear-Gaussian gate where the config has one. RUN_MIN limits this run;
# THREADS overrides the config's CPU threads (a second thread on an idle core: 1.1-1.4x the steps).
train: setup
	$(PY) -m methods.tabscm.train --config methods/tabscm/configs/$(or $(MODEL),tabscm).yaml --resume \
	  $(if $(RUN_MIN),--time-limit-min $(RUN_MIN)) $(if $(THREADS),--threads $(THREADS))
	if grep -q '^gate:' methods/tabscm/configs/$(or $(MODEL),tabscm).yaml; then \
	  $(PY) -m methods.tabscm.gate --config methods/tabscm/configs/$(or $(MODEL),tabscm).yaml \
	    $(if $(THREADS),--threads $(THREADS)) --checkpoint $$($(PY) -m methods.tabscm.train --config methods/tabscm/configs/$(or $(MODEL),tabscm).yaml --print-checkpoint); \
	fi

perf: setup
	$(PY) -m bench.perf --out results/perf --timeout $(or $(PERF_TIMEOUT),60)

# Mutation testing of the modules every number passes through (pyproject's [tool.mutmut]); not in CI.
mutation: setup
	$(PY) -m pip install -q 'mutmut==3.8.1'
	rm -rf mutants && mkdir -p results/mutation
	.venv/bin/mutmut run > results/mutation/run.log 2>&1 || true
	$(PY) tests/mutation_summary.py | tee results/mutation/summary.md

lint: setup
	$(PY) -m compileall -q bench methods datasets tests

clean:
	rm -rf .venv results/latest results/default mutants
