# Yimen: `make run` sets everything up and serves http://127.0.0.1:8000; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run worker test setup demo lint format messages audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.dev-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.run-deps

setup: $(VENV)/.run-deps
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo

# The development server and, beside it, a background worker reading the queue folder in var/.
run: setup
	@echo "Yimen is starting at http://127.0.0.1:8000  (stop with Ctrl-C)"
	@bash scripts/run.sh

# Production: the worker with the periodic schedule (beat), on the broker in CELERY_BROKER_URL.
# Run exactly one worker with --beat; start more workers with `celery -A yimen worker`.
worker: $(VENV)/.run-deps
	$(BIN)/celery -A yimen worker --beat --loglevel=INFO

test: $(VENV)/.dev-deps
	bash scripts/test.sh

# Known vulnerabilities in the installed dependencies (pip-audit; needs its service).
audit: $(VENV)/.dev-deps
	$(BIN)/python scripts/audit.py

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(VENV)/.dev-deps
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

# Needs GNU gettext (xgettext/msgfmt); the compiled .mo files are committed.
messages: $(VENV)/.dev-deps
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --add-location file
	$(BIN)/python manage.py compilemessages -l zh_Hans -i .venv
