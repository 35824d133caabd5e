# `make test` and `make demo` set up .venv themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# References whose full installs would pull another torch or CUDA wheels: only their
# schedule code is needed, so they are installed without dependencies.
NO_DEPS_REFS := timm==1.0.31 fastai==2.8.12 fastcore==2.2.39 braintools==0.3.0 \
	brainstate==0.5.4 brainunit==0.5.2 saiunit==0.5.2 brainevent==0.2.1 array_api_compat==1.16.0

.PHONY: test fuzz demo bench lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.test-installed: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	$(BIN)/pip install -q --no-deps $(NO_DEPS_REFS)
	touch $@

$(VENV)/.demo-installed: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install -q -e ".[train]"
	touch $@

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.test-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Test files run in parallel, one per core (at most 4: each worker loads the reference
# libraries); a file stays on one worker, so module fixtures are built once. Then the
# sdist and wheel are built and the wheel's install runs the doctests and CLI smoke tests.
test: lint
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile
	$(BIN)/python tools/check_wheel.py

# The property tests with new random examples (`make test` repeats the same ones).
FUZZ_ROUNDS ?= 5
FUZZ_TESTS := tests/test_algebra_laws.py tests/test_eager.py tests/test_random_trees.py
fuzz: $(VENV)/.test-installed
	for i in $$(seq $(FUZZ_ROUNDS)); do \
		$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile \
			--hypothesis-profile=fuzz $(FUZZ_TESTS) || exit 1; \
	done

demo: $(VENV)/.demo-installed
	$(BIN)/python -m schedalg.demo

bench: $(VENV)/.test-installed
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
