# Two commands on a fresh machine:  `make run` (local stack)  and  `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pinned: chalice 1.34 requires pip<26.3, and an unpinned upgrade makes pip's resolver print an ERROR on set-up
PIP_VERSION := 26.2.1
export PYTHONPATH := layers/common/python:.

.PHONY: setup run test test-fast lint bench build package lint-cfn clean

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# the browser tests (tests/browser) drive Debian's chromium: installed when missing (a downloaded browser build is not
# available here; Playwright's own `playwright install` is never run). Quiet: apt's chatter goes to build/apt.log.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@mkdir -p build
	@echo "installing Debian's chromium for the browser tests (log: build/apt.log)"
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); export DEBIAN_FRONTEND=noninteractive; \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-wqy-zenhei; } \
	    >build/apt.log 2>&1 || { tail -n 30 build/apt.log >&2; exit 1; }

setup: $(STAMP) $(CHROMIUM)

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

# ---- deployable artifact (infra/) ----
STAGE ?= dev

build: setup  ## build/package/{sam.json,deployment.zip,layer.zip} for $(STAGE): make build STAGE=prod
	$(BIN)/python -m infra.build --stage $(STAGE) --out build/

lint-cfn: build  ## cfn-lint on the merged SAM template
	$(BIN)/cfn-lint build/package/sam.json

package: build  ## upload the zips to S3 and write build/package/packaged.json: make package STAGE=prod S3_BUCKET=...
	@test -n "$(S3_BUCKET)" || { echo "set S3_BUCKET=<an S3 bucket for deployment artifacts>" >&2; exit 2; }
	aws cloudformation package --template-file build/package/sam.json --s3-bucket $(S3_BUCKET) \
		--s3-prefix wechat-scrm/$(STAGE) --use-json --output-template-file build/package/packaged.json
