# The two commands of the README:
#   make all    install into .venv, run the default DAG (snakemake --cores all), record it in DVC (dvc.lock:
#               `dvc status` clean, `dvc push` ready), write the HTML report
#   make test   install into .venv (with test extras) and Slurm + munge from Debian (for the cluster tests,
#               when run as root with apt-get and they are missing), then run the whole test suite
# The venv sees system site-packages, so a CUDA build of torch you installed yourself is used as is.

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
CORES ?= all

.PHONY: all install slurm test lint dvc-yaml benchmark clean-results

all: install
	snakemake --cores $(CORES)
	latentvideo record-dvc
	snakemake --report results/report.html

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install "torch==2.13.0"
	$(BIN)/python -m pip install -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name latentvideo --display-name latentvideo
	touch $@

# The cluster tests start a real single-node Slurm (tests/local_slurm.py); elsewhere they skip, saying why.
slurm:
	@if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then \
		echo "Slurm and munge are installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing slurm-wlm and munge (Debian) for the cluster tests"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			slurm-wlm munge; \
	else \
		echo "Slurm is not installed and cannot be installed here (needs root and apt-get): cluster tests will skip"; \
	fi

test: install slurm
	$(BIN)/python -m pytest -q -ra

lint: install
	snakemake --lint
	snakefmt --check Snakefile workflow/rules

dvc-yaml: install
	latentvideo export-dvc --budget default --out dvc.yaml

benchmark: install slurm
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_mutual_information.py
	$(BIN)/python benchmarks/bench_slurm.py
