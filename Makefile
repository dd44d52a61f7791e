# The two commands of the README: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
# Extra flags for installing the requirements: CI passes --no-compile (see .ci/run).
PIP_FLAGS ?=

.PHONY: install run test test-services lint format audit bench bench-smoke messages clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet $(PIP_FLAGS) -r requirements-dev.txt
	touch $(STAMP)

# axe-core for the browser tests (htmx itself is vendored under config/static/vendor/).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (node 20) is needed for the browser tests"; exit 1; }
	npm install --no-audit --no-fund
	touch node_modules/.installed

install: $(STAMP) node_modules/.installed
	@if command -v msgfmt >/dev/null; then \
	  $(BIN)/python manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules; \
	else echo "gettext (msgfmt) missing: pages stay German until it is installed"; fi

var:
	mkdir -p var/mail var/broker/queue var/broker/processed

run: install var
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py compilemessages -v0 --ignore=.venv 2>/dev/null || true
	@echo ""
	@echo "  consult läuft auf http://127.0.0.1:$(PORT)/  (API: /api/v1/, Doku: /api/docs/)"
	@echo "  Demo-Logins (Passwort 'demo'): coordinator, staff-leipzig, staff-potsdam, expert-1 … expert-30"
	@echo "  E-Mails landen als .eml in var/mail/. Strg-C beendet Web, Worker und Beat."
	@echo ""
	PORT=$(PORT) SITE_PORT=$(PORT) $(BIN)/honcho start -f Procfile

test: install
	$(BIN)/pytest -q -n 2 --dist loadgroup

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=node_modules
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

# bandit over the apps (findings reviewed in tests/security/audit_accepted.py) and pip-audit of
# requirements.txt (accepted ids in tests/security/pip_audit_ignore.txt); also part of `make test`.
audit: install
	$(BIN)/pytest -q -p no:cacheprovider -rs tests/security/test_audit.py

bench: install
	$(BIN)/python bench/run_all.py

bench-smoke: install
	$(BIN)/python bench/run_all.py --smoke

clean:
	rm -rf var .pytest_cache
