# Two commands do everything on a fresh machine with Python >= 3.10:
#   make book   create the environment (.venv) and build the HTML book in _build/html
#   make test   lint, unit tests, strict nbval over every notebook, warnings-as-errors book build
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBVAL  := -n 2 --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg -p no:cacheprovider

MATHJAX_VERSION := 3.2.2
MATHJAX := _mathjax/mathjax/tex-chtml-full.js

.PHONY: help env book test lint unit nbval book-check browser notebooks bench lab mathjax binder-check pins portability clean

help:
	@echo "make book          build the HTML book in _build/html (creates .venv first)"
	@echo "make test          everything below in order: lint, unit, nbval, book-check, browser"
	@echo "make lint          ruff (check and format), actionlint over .github/workflows, mypy over the package"
	@echo "make unit          unit, property, oracle and notebook-structure tests (pytest)"
	@echo "make nbval         re-run every notebook and compare every stored output (strict nbval)"
	@echo "make book-check    build the whole book with warnings as errors"
	@echo "make browser       read every built page in headless Chromium or Chrome (after book-check)"
	@echo "make notebooks     re-execute every notebook in place (byte-stable), after changing the package"
	@echo "make bench         time the fitters against numpy/statsmodels/scipy (writes benchmarks/results/)"
	@echo "make lab           open the notebooks in JupyterLab"
	@echo "make env           create .venv with the pinned requirements.txt and the package (editable)"
	@echo "make mathjax       fetch MathJax from the npm registry into _mathjax/ (make book does it)"
	@echo "make binder-check  build Binder's environment the way Binder does, in a temp venv, and try it"
	@echo "make pins          re-derive requirements.txt's pins for Python < 3.11.5 from its pins for newer (needs python3.10)"
	@echo "make portability   unit tests and strict nbval under every OpenBLAS kernel this CPU runs, one thread, no AVX-512"
	@echo "make clean         remove _build and _mathjax"
	@echo "make help          this list"
	@echo "Before submitting a change to numbers: make portability (see CONTRIBUTING.md)"

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

mathjax: $(MATHJAX)

# MathJax for offline reading: fetched from the npm registry at build time, never committed.
$(MATHJAX):
	@mkdir -p _mathjax/mathjax
	@tmp=$$(mktemp -d); \
	if command -v npm >/dev/null 2>&1 && (cd $$tmp && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null 2>&1); then \
		tar -xzf $$tmp/mathjax-$(MATHJAX_VERSION).tgz -C $$tmp && cp -R $$tmp/package/es5/. _mathjax/mathjax/ && \
		echo "MathJax $(MATHJAX_VERSION) fetched into _mathjax/: the book's math works offline"; \
	else \
		cp scripts/mathjax-cdn-loader.js $(MATHJAX); \
		echo "WARNING: npm is not available, so MathJax could not be fetched: the book will load it from a CDN and needs a network to show math"; \
	fi; rm -rf $$tmp

book: env $(MATHJAX)
	$(BIN)/jupyter-book build .
	@echo "The book is in _build/html/index.html"

test: lint unit nbval book-check browser

# actionlint checks the GitHub Actions workflows (with the pinned shellcheck for their run: steps);
# mypy checks the package's type hints (configured in pyproject.toml's [tool.mypy]).
lint: env
	$(BIN)/ruff check mle_tutorial tests scripts benchmarks
	$(BIN)/ruff format --check mle_tutorial tests scripts benchmarks
	$(BIN)/ruff format --check --isolated --line-length 68 book  # code cells fit the page's column
	$(BIN)/actionlint -shellcheck=$(BIN)/shellcheck -pyflakes= .github/workflows/*.yml
	$(BIN)/mypy mle_tutorial

unit: env
	$(BIN)/python -m pytest -W error::RuntimeWarning --doctest-modules mle_tutorial tests --ignore=tests/browser

nbval: env
	$(BIN)/python -m pytest $(NBVAL) book

book-check: env $(MATHJAX)
	$(BIN)/jupyter-book build . --all -W -n --keep-going

# Reads every built page in headless Chromium or Chrome (skipped, with a message, if there is none).
browser: env
	$(BIN)/python -m pytest -p no:cacheprovider -o addopts="" -rs tests/browser

notebooks: env
	$(BIN)/python scripts/execute_notebooks.py

bench: env
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.fitters  # R survreg and scikit-learn ($$SKLEARN_PYTHON) where installed

lab: env
	$(BIN)/python -m pip install --quiet "jupyterlab==4.*"
	$(BIN)/jupyter lab book

# Not part of `make test`: installs the whole pinned environment into a fresh venv (a few minutes).
binder-check:
	scripts/check_binder.sh

# requirements.txt pins two sets: the one the stored outputs were made with, for Python >= 3.11.5
# (soupsieve 4 needs 3.11.5), and for older Pythons (3.10, and 3.11.0-3.11.4 as in Debian 12) the
# newest release of each package at or below its pin in the first set that installs on Python 3.10.
# After changing the first set (edit it, or paste `.venv/bin/pip freeze --exclude-editable` under the
# header, markers or not), `make pins` re-derives the second in a temp venv from requirements.in and
# rewrites requirements.txt: the shared pins, then those of each set that differ (canonical names).
PYTHON310 ?= python3.10
NEW := python_full_version >= "3.11.5"
OLD := python_full_version < "3.11.5"
CANONICAL := awk -F== '{n = tolower($$1); gsub(/[-_.]+/, "-", n); print n "==" $$2}' | LC_ALL=C sort
BY_NAME := LC_ALL=C sort -s -t= -k1,1
pins:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	grep -v -e '^#' -e '^$$' -e '$(OLD)' requirements.txt | sed 's/ *;.*//' | $(CANONICAL) > "$$tmp/new"; \
	sed 's/==/<=/' "$$tmp/new" > "$$tmp/upper"; \
	$(PYTHON310) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install --quiet -r requirements.in -c "$$tmp/upper"; \
	"$$tmp/venv/bin/python" -m pip freeze | $(CANONICAL) > "$$tmp/old"; \
	{ sed '/^[^#]/,$$d' requirements.txt; \
	  LC_ALL=C comm -12 "$$tmp/new" "$$tmp/old" | $(BY_NAME); \
	  echo '# Python >= 3.11.5: the releases the stored notebook outputs were made with'; \
	  LC_ALL=C comm -23 "$$tmp/new" "$$tmp/old" | $(BY_NAME) | sed 's/$$/ ; $(NEW)/'; \
	  echo '# Python 3.10 to 3.11.4: the newest release at or below the pin above that installs on Python 3.10'; \
	  LC_ALL=C comm -13 "$$tmp/new" "$$tmp/old" | $(BY_NAME) | sed 's/$$/ ; $(OLD)/'; \
	} > "$$tmp/requirements.txt"; \
	mv "$$tmp/requirements.txt" requirements.txt; \
	echo "requirements.txt: $$(LC_ALL=C comm -12 "$$tmp/new" "$$tmp/old" | wc -l) shared pins, $$(LC_ALL=C comm -23 "$$tmp/new" "$$tmp/old" | wc -l) for Python >= 3.11.5, $$(LC_ALL=C comm -13 "$$tmp/new" "$$tmp/old" | wc -l) for older"

# Not part of `make test`: the same tests under other BLAS kernels and SIMD loops (about 20 minutes).
portability: env
	scripts/portability_check.sh

clean:
	rm -rf _build _mathjax
