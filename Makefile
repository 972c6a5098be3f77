# The two set-up commands of README: `make book` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.advrec-installed
export ADVREC_DATA ?= $(abspath ../shared/datasets)

.PHONY: install book test lint bench smoke clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e ".[book,test]"
	touch $(STAMP)

install: $(STAMP)

book: $(STAMP)
	$(VENV)/bin/advrec book build

test: $(STAMP)
	$(VENV)/bin/ruff check core tests benchmarks
	$(VENV)/bin/advrec validate
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pip install -e ".[bench]"
	$(PY) benchmarks/run.py

clean:
	rm -rf book/_build
