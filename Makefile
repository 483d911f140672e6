# One task runner. Every target creates the virtual environment if it is missing,
# so `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test check fix bench install lock clean

# requirements.lock pins every package to the versions the tests ran with; qualitas
# itself is then installed without resolving again.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e '.[dev,web,spark]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m qualitas.web demo

# The web tests run a second time on PostgreSQL (127.0.0.1:5432, or DATABASE_URL_POSTGRES);
# in CI (CI=true) that run always happens, so a missing server fails the build.
test: $(STAMP)
	$(PY) -m pytest
	@if [ "$$CI" = "true" ] || pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then \
	  echo "Web tests on PostgreSQL:"; \
	  DATABASE_URL=$${DATABASE_URL_POSTGRES:-postgres://postgres@127.0.0.1:5432/test} $(PY) -m pytest tests/web; \
	else echo "PostgreSQL is not running on 127.0.0.1:5432: the web tests ran on SQLite only."; fi

# Lint, format, types, migrations that match the models, then every test (docstring
# examples included) under branch coverage, held to the floors in tests/coverage_floors.py.
check: $(STAMP)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks
	QUALITAS_ENV=demo $(PY) -m mypy
	QUALITAS_ENV=demo $(PY) -m qualitas.web makemigrations --check --dry-run
	$(PY) -m pytest -q --cov --cov-report=
	$(PY) -m tests.coverage_floors

fix: $(STAMP)
	$(PY) -m ruff check --fix src tests benchmarks
	$(PY) -m ruff format src tests benchmarks

# After changing dependencies in pyproject.toml: keeps every pin it can, adds what is new.
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --all-extras --python-version 3.11 \
	  --no-annotate --custom-compile-command "make lock" -o requirements.lock

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
