# The two commands of the README:
#   make all    install into .venv, run the default DAG (snakemake --cores all), write the HTML report
#   make test   install into .venv (with test extras) and run the whole test suite
# The venv sees system site-packages, so a CUDA build of torch you installed yourself is used as is.

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
CORES ?= all

.PHONY: all install test lint dvc-yaml benchmark clean-results

all: install
	snakemake --cores $(CORES)
	snakemake --report results/report.html

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install "torch==2.13.0"
	$(BIN)/python -m pip install -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name latentvideo --display-name latentvideo
	touch $@

test: install
	$(BIN)/python -m pytest -q -ra

lint: install
	snakemake --lint
	snakefmt --check Snakefile workflow/rules

dvc-yaml: install
	latentvideo export-dvc --budget default --out dvc.yaml

benchmark: install
	$(BIN)/python benchmarks/bench_training.py
