# slaweb: `make run` to try it, `make test` to prove it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-dev run serve migrate demo test test-clients check format bench fuzz load faults security clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py seed_demo

# The web server, two task workers (a recompute's parts run side by side) and the breach
# clock, stopped together. The demo's sign-in lines and notification links name the address
# the server listens on (make run PORT=8101).
run demo: export SLAWEB_BASE_URL ?= http://$(HOST):$(PORT)
run: demo
	@trap 'kill $$(jobs -p) 2>/dev/null' EXIT; \
	$(BIN)/python manage.py db_worker --interval 1 & \
	$(BIN)/python manage.py db_worker --interval 1 & \
	$(BIN)/python manage.py sla_clock & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install-dev
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Lint and format, types (mypy, strict, with the Django and DRF stubs), the import
# layers (import-linter: slaweb <- policies <- tickets, a pure engine, no circles) and migrations.
check: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-dev
	$(BIN)/python -m tests.bench

# Schemathesis against the API's own schema, every operation as an admin and as an agent, with
# many more generated requests per operation than `make test` runs.
FUZZ_EXAMPLES ?= 150
fuzz: install-dev
	SLAWEB_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/test_fuzz.py $(PYTEST_ARGS)

# Locust's headless clients against gunicorn, a task worker and the breach clock on a throwaway
# PostgreSQL database: 50 clients for 60 s (LOAD_ARGS="--users 5 --run-time 10" for less).
load: install-dev
	@test -n "$(DATABASE_URL)" || { echo "make load needs PostgreSQL: run it as"; \
	  echo "  DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DBNAME make load"; \
	  echo "(the role needs CREATEDB; a throwaway database is made next to DBNAME and dropped)"; \
	  exit 2; }
	$(BIN)/python -m tests.load $(LOAD_ARGS)

# SIGKILL gunicorn mid-write, a task worker mid-recompute and the breach clock at a breach;
# then check nothing accepted was lost or repeated (uses DATABASE_URL like `make test`).
faults: install-dev
	$(BIN)/python -m pytest -q tests/test_faults.py \
	  "tests/tickets/test_sla_clock.py::test_clock_survives_kill_and_restart" $(PYTEST_ARGS)

# The permission matrix, rate limits, sign-in lock-out, CSRF, error bodies with DEBUG off and
# the deployment checks.
security: install-dev
	$(BIN)/python -m pytest -q tests/test_permissions.py tests/test_security.py \
	  tests/test_production.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
