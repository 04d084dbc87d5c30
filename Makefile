# Lantern. `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
# checkov pins boto3 and networkx versions that clash with the app's, so it has a venv of its own.
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
SCHOOL ?= themead
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test test-fast lint build user import bench browser-deps venv plan deploy

help: ## List every target
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(VENV)/.installed ## Create .venv with the pinned dependencies

$(CHECKOV_VENV)/.installed: infra/checkov-requirements.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/checkov-requirements.txt
	touch $@

run: venv ## Run Lantern locally with a demo school (SCHOOL=themead PORT=8000)
	$(PY) -m tools.local_server --school $(SCHOOL) --port $(PORT)

browser-deps: ## Install Debian's Chromium for the browser tests (apt)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: venv $(CHECKOV_VENV)/.installed browser-deps lint ## Install what the tests need, lint, and run the whole suite
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest

test-fast: venv ## Unit and functional tests only
	$(PY) -m pytest tests/unit tests/functional

lint: venv ## ruff check and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

build: venv ## Build the static site for SCHOOL into build/site
	$(PY) -m tools.build_site --school $(SCHOOL)

user: venv ## Create a staff account on the running local stack: make user EMAIL=… ROLE=… NAME="…" [TITLE=…]
	$(PY) -m tools.user --school $(SCHOOL) --email "$(EMAIL)" --role "$(ROLE)" --name "$(NAME)" --title "$(TITLE)"

import: venv ## Import the roster from MIS CSV files (docs/roster-csv.md): make import PUPILS=… STAFF=… [FULL=1] [AWS=1]
	$(PY) -m tools.import_roster --school $(SCHOOL) $(if $(PUPILS),--pupils "$(PUPILS)") $(if $(STAFF),--staff "$(STAFF)") $(if $(FULL),--full) $(if $(AWS),--aws)

plan: venv $(CHECKOV_VENV)/.installed ## Build, package and lint SCHOOL's stack, list what it holds (no AWS; COMPARE=1 diffs with AWS)
	$(PY) -m infra.deploy plan --school $(SCHOOL) --checkov $(CHECKOV_VENV)/bin/checkov $(if $(COMPARE),--compare)

deploy: venv $(CHECKOV_VENV)/.installed ## Deploy or update SCHOOL's stack (AWS credentials; first time ADMIN_EMAIL=… ADMIN_NAME="…" CERTIFICATE_ARN=…)
	$(PY) -m infra.deploy deploy --school $(SCHOOL) --checkov $(CHECKOV_VENV)/bin/checkov --admin-email "$(ADMIN_EMAIL)" --admin-name "$(ADMIN_NAME)" --certificate-arn "$(CERTIFICATE_ARN)"

bench: venv browser-deps ## Print the benchmarks' figures
	$(PY) bench/cold_start.py
	$(PY) bench/add_incident.py
	$(PY) bench/review.py
	$(PY) bench/follow_up.py
