# Lantern. `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SCHOOL ?= themead
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test test-fast lint build user import bench browser-deps venv

help: ## List every target
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(VENV)/.installed ## Create .venv with the pinned dependencies

run: venv ## Run Lantern locally with a demo school (SCHOOL=themead PORT=8000)
	$(PY) -m tools.local_server --school $(SCHOOL) --port $(PORT)

browser-deps: ## Install Debian's Chromium for the browser tests (apt)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: venv browser-deps lint ## Install what the tests need, lint, and run the whole suite
	$(PY) -m pytest

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

bench: venv browser-deps ## Print the benchmarks' figures
	$(PY) bench/cold_start.py
	$(PY) bench/add_incident.py
	$(PY) bench/review.py
