# Lantern. `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
# checkov pins boto3 and networkx versions that clash with the app's, so it has a venv of its own.
CHECKOV_VENV := .venv-checkov
# aws-sam-translator (the SAM transform, to count the API's stages) pins pydantic below the others: its own venv.
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SCHOOL ?= themead
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: loadtest audit-deps verify-audit faults fuzz totp help run test test-fast lint build user import bench browser-deps venv plan deploy preflight cleanup-failed \
	plan-all deploy-all status logs restore-drill

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

# pip-audit asks PyPI (each pinned version's JSON) about known vulnerabilities; its own venv keeps its pins apart.
AUDIT_VENV := .venv-audit
$(AUDIT_VENV)/.installed: infra/audit-requirements.txt
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/audit-requirements.txt
	touch $@

audit-deps: $(AUDIT_VENV)/.installed ## pip-audit every pinned dependency (needs pypi.org's per-version JSON; a package it cannot check fails)
	$(AUDIT_VENV)/bin/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r requirements.txt -r constraints.txt

$(SAM_VENV)/.installed: infra/sam-requirements.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/sam-requirements.txt
	touch $@

run: venv ## Run Lantern locally with a demo school (SCHOOL=themead PORT=8000)
	$(PY) -m tools.local_server --school $(SCHOOL) --port $(PORT)

browser-deps: ## Install Debian's Chromium for the browser tests (apt)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: venv $(CHECKOV_VENV)/.installed $(SAM_VENV)/.installed browser-deps lint ## Install what the tests need, lint, and run the whole suite
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest

test-fast: venv ## Unit and functional tests only
	$(PY) -m pytest tests/unit tests/functional

lint: venv ## ruff check and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m bandit -q -r chalicelib app.py tools infra --severity-level high

build: venv ## Build the static site for SCHOOL into build/site
	$(PY) -m tools.build_site --school $(SCHOOL)

user: venv ## Create a staff account on the running local stack: make user EMAIL=… ROLE=… NAME="…" [TITLE=…]
	$(PY) -m tools.user --school $(SCHOOL) --email "$(EMAIL)" --role "$(ROLE)" --name "$(NAME)" --title "$(TITLE)"

verify-audit: venv ## Check that SCHOOL's audit trail is whole and unchanged (hash chains) [AWS=1]
	$(PY) -m tools.verify_audit --school $(SCHOOL) $(if $(AWS),--aws)

loadtest: venv ## A bounded load run on 127.0.0.1: 30 simulated staff for 60 s (make test runs a short one)
	$(PY) -m tools.loadtest --users 30 --seconds 60

faults: venv ## A failure at every AWS call of every write path, before the call and with its answer lost (make test runs a short version)
	FAULTS=all $(PY) -m pytest tests/functional/test_faults.py -q

fuzz: venv ## Hostile bodies and query strings for every route, at length (make test runs a short version)
	FUZZ_EXAMPLES=300 $(PY) -m pytest tests/functional/test_fuzz.py -q

totp: venv ## Print a local account's authenticator code (demo leaders, DSLs, Head, admin): make totp EMAIL=…
	$(PY) -m tools.totp --school $(SCHOOL) --email "$(EMAIL)"

import: venv ## Import the roster from MIS CSV files (docs/roster-csv.md): make import PUPILS=… STAFF=… [FULL=1] [AWS=1] [REBUILD_INDEX=1]
	$(PY) -m tools.import_roster --school $(SCHOOL) $(if $(PUPILS),--pupils "$(PUPILS)") $(if $(STAFF),--staff "$(STAFF)") $(if $(FULL),--full) $(if $(AWS),--aws) $(if $(REBUILD_INDEX),--rebuild-index)

plan: venv $(CHECKOV_VENV)/.installed $(SAM_VENV)/.installed ## Build, package and lint SCHOOL's stack, list what it holds (no AWS; COMPARE=1 diffs with AWS)
	$(PY) -m infra.deploy plan --school $(SCHOOL) --checkov $(CHECKOV_VENV)/bin/checkov $(if $(COMPARE),--compare)

deploy: venv $(CHECKOV_VENV)/.installed $(SAM_VENV)/.installed ## Deploy or update SCHOOL's stack by change set (first time ADMIN_EMAIL=… ADMIN_NAME="…" [CERTIFICATE_ARN=…]; ALLOW_REPLACE=1)
	$(PY) -m infra.deploy deploy --school $(SCHOOL) --checkov $(CHECKOV_VENV)/bin/checkov --admin-email "$(ADMIN_EMAIL)" --admin-name "$(ADMIN_NAME)" --certificate-arn "$(CERTIFICATE_ARN)" $(if $(ALLOW_REPLACE),--allow-replace)

preflight: venv ## Check the AWS account and region can run SCHOOL's stack, and say what to fix (read-only)
	$(PY) -m infra.deploy preflight --school $(SCHOOL) --certificate-arn "$(CERTIFICATE_ARN)"

cleanup-failed: venv ## Remove what a failed first deploy of SCHOOL left, if it holds no data (lists it; YES=1 removes it)
	$(PY) -m infra.deploy cleanup-failed --school $(SCHOOL) $(if $(YES),--yes)

plan-all: venv $(CHECKOV_VENV)/.installed $(SAM_VENV)/.installed ## make plan for every school in infra/trust.toml, stopping at the first failure
	$(PY) -m infra.deploy plan-all --checkov $(CHECKOV_VENV)/bin/checkov

deploy-all: venv $(CHECKOV_VENV)/.installed $(SAM_VENV)/.installed ## make deploy for every school in infra/trust.toml, one after another, stopping at the first failure
	$(PY) -m infra.deploy deploy-all --checkov $(CHECKOV_VENV)/bin/checkov $(if $(ALLOW_REPLACE),--allow-replace)

status: venv ## Every school's stack: state, deployed commit, last change, alarms firing (AWS credentials)
	$(PY) -m infra.deploy status

logs: venv ## SCHOOL's function logs: [FUNCTION=api|outbox|outbox-sweep|reminders|digest|email-feedback] [SINCE=60] [FILTER=ERROR] [FOLLOW=1]
	$(PY) -m infra.deploy logs --school $(SCHOOL) --function $(or $(FUNCTION),api) --since $(or $(SINCE),60) $(if $(FILTER),--filter '$(FILTER)') $(if $(FOLLOW),--follow)

restore-drill: venv ## Rehearse docs/deploying.md's restores on moto: tables to a point in time, an S3 version, copied back
	$(PY) -m tools.restore_drill --school $(SCHOOL)

# axe-core (the browser tests' accessibility checks) and Lighthouse (make audit): pinned, from npm, into .node/.
NODE_TOOLS := .node
AXE_VERSION := 4.14.1
LIGHTHOUSE_VERSION := 12.2.3
AXE := $(NODE_TOOLS)/axe/node_modules/axe-core/axe.min.js
LIGHTHOUSE := $(NODE_TOOLS)/lighthouse/node_modules/.bin/lighthouse
NPM_INSTALL := npm install --silent --no-audit --no-fund --save-exact

node-deps:
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }

$(AXE): | node-deps
	$(NPM_INSTALL) --prefix $(NODE_TOOLS)/axe axe-core@$(AXE_VERSION)

$(LIGHTHOUSE): | node-deps
	$(NPM_INSTALL) --prefix $(NODE_TOOLS)/lighthouse lighthouse@$(LIGHTHOUSE_VERSION)

axe: $(AXE) ## Install axe-core (npm, pinned) for the browser tests' accessibility checks

# make test needs axe-core too (an extra prerequisite, so the test rule itself stays as it is).
test: $(AXE)

audit: venv browser-deps $(LIGHTHOUSE) ## Lighthouse accessibility and best practices of every page (Debian's Chromium)
	CHROME_PATH=/usr/bin/chromium $(PY) -m tools.audit --lighthouse $(LIGHTHOUSE)

bench: venv browser-deps ## Print the benchmarks' figures
	$(PY) bench/cold_start.py
	$(PY) bench/add_incident.py
	$(PY) bench/review.py
	$(PY) bench/follow_up.py
	$(PY) bench/reports.py
	$(PY) bench/roster_import.py
	$(PY) bench/pages.py
