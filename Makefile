# Every target sets up what it needs: a fresh clone only ever runs `make compare` or `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.xraynet-installed
OUT    ?= results

.PHONY: install compare test docs bench-quick dist clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,dask]"
	touch $(STAMP)

install: $(STAMP)

## The main job: compare the model zoo on PneumoniaMNIST, evaluate the winner on its test split.
compare: $(STAMP)
	$(VENV)/bin/xraynet compare --dataset pneumoniamnist --out $(OUT)

## The test-suite (real-data tests skip unless XRAYNET_DATA points at the data folder).
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile --doctest-modules --durations=15

## The documentation (Sphinx + executed sphinx-gallery examples; warnings are errors).
DOCS_STAMP = $(VENV)/.xraynet-docs-installed
$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[dev,dask,docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

## Benchmarks in smoke mode (CI); run the scripts without --quick for real numbers.
bench-quick: $(STAMP)
	for b in benchmarks/[!_]*.py; do echo "== $$b"; $(PY) $$b --quick || exit 1; done

## Release artefacts: sdist + wheel, checked by twine.
dist: $(STAMP)
	rm -rf dist && $(PY) -m build --no-isolation --outdir dist . && $(PY) -m twine check --strict dist/*

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build docs/auto_examples docs/generated
