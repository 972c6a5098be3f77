# The two set-up commands of README: `make book` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.advrec-installed
export ADVREC_DATA ?= $(abspath ../shared/datasets)

.PHONY: install book test bench browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e ".[book,test]"
	touch $(STAMP)

# MathJax for the offline site, from the npm registry into a git-ignored folder (nothing fetched at build time).
MATHJAX := book/_build/vendor/node_modules/mathjax/es5/tex-chtml.js
$(MATHJAX):
	npm install --prefix book/_build/vendor --no-save --no-audit --no-fund mathjax@3.2.2

install: $(STAMP) $(MATHJAX)

book: $(STAMP) $(MATHJAX)
	$(VENV)/bin/advrec book build

# Debian's Chromium for the browser test of the site; where it cannot be installed that test skips, saying why.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "make: Chromium not installed; the browser test will skip"

test: $(STAMP) $(MATHJAX) browser
	$(VENV)/bin/ruff check core tests benchmarks
	$(VENV)/bin/advrec validate
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pip install -e ".[bench]"
	OMP_WAIT_POLICY=PASSIVE $(PY) benchmarks/run.py

clean:
	rm -rf book/_build
