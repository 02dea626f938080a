# Two commands do everything on a fresh machine with Python >= 3.10:
#   make book   create the environment (.venv) and build the HTML book in _build/html
#   make test   lint, unit tests, strict nbval over every notebook, warnings-as-errors book build
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBVAL  := -n 2 --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg -p no:cacheprovider

.PHONY: help env book test lint unit nbval book-check notebooks bench lab clean

help:
	@echo "make book       build the HTML book (creates .venv first)"
	@echo "make test       lint + unit tests + strict nbval + warnings-as-errors book build"
	@echo "make notebooks  re-execute every notebook in place (byte-stable), after changing the package"
	@echo "make bench      time the fitters against numpy/statsmodels/scipy (writes benchmarks/results/)"
	@echo "make lab        open the notebooks in JupyterLab"

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: env
	$(BIN)/jupyter-book build .
	@echo "The book is in _build/html/index.html"

test: lint unit nbval book-check

lint: env
	$(BIN)/ruff check mle_tutorial tests scripts benchmarks
	$(BIN)/ruff format --check mle_tutorial tests scripts benchmarks

unit: env
	$(BIN)/python -m pytest -W error::RuntimeWarning --doctest-modules mle_tutorial tests

nbval: env
	$(BIN)/python -m pytest $(NBVAL) book

book-check: env
	$(BIN)/jupyter-book build . --all -W -n --keep-going

notebooks: env
	$(BIN)/python scripts/execute_notebooks.py

bench: env
	$(BIN)/python -m benchmarks

lab: env
	$(BIN)/python -m pip install --quiet "jupyterlab==4.*"
	$(BIN)/jupyter lab book

clean:
	rm -rf _build
