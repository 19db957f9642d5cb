# Two commands on a fresh machine:  `make run` (local stack)  and  `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONPATH := layers/common/python:.

.PHONY: setup run test test-fast lint bench build package lint-cfn clean

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

run: setup  ## the local stack: moto server, WeChat sandbox, the API, the dispatcher, demo accounts
	$(BIN)/python -m local.stack

test: setup  ## unit, integration, end-to-end and packaging tests, plus lint
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest tests/unit tests/integration

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf build .pytest_cache .hypothesis
