# NodeByte Platform. `make run` for the demo, `make test` for the suite.
# Needs only Python 3.11+; everything else goes into .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# The demo and the local worker/beat run with DEBUG on, and staff without the TOTP set-up
# the back office otherwise demands, unless the caller says otherwise.
# DEBUG off needs SECRET_KEY, ALLOWED_HOSTS and EMAIL_URL (see README, Configuration).
DEMO_ENV := DEBUG=$${DEBUG:-1} STAFF_REQUIRE_MFA=$${STAFF_REQUIRE_MFA:-0}

.PHONY: run test worker beat lint format venv

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(VENV)/.installed-runtime $@

venv: $(VENV)/.installed-runtime

run: $(VENV)/.installed-runtime
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	@echo "Admin (staff):    http://$(HOST):$(PORT)/admin/"
	@echo "Portal (players): http://$(HOST):$(PORT)/"
	@echo "Partner API:      http://$(HOST):$(PORT)/api/docs/"
	@echo "Health:           http://$(HOST):$(PORT)/healthz"
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Two workers (pytest-xdist), each with its own test database; PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

worker: $(VENV)/.installed-runtime
	@[ -n "$$REDIS_URL" ] || echo "REDIS_URL is not set: tasks already run in-process, a worker has nothing to do." >&2
	$(DEMO_ENV) $(BIN)/celery -A nodebyte_platform worker --loglevel INFO

beat: $(VENV)/.installed-runtime
	@[ -n "$$REDIS_URL" ] || echo "REDIS_URL is not set: beat would queue jobs to an in-memory broker nobody reads." >&2
	$(DEMO_ENV) $(BIN)/celery -A nodebyte_platform beat --loglevel INFO

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
