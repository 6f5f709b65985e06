# Accord — two commands do all set-up: `make run` and `make test` (README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
ACCORD := $(VENV)/bin/accord
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run install test test-fast fuzz bench lint format clean

$(VENV)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.5"
	uv sync --frozen --all-extras --python python3
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	$(ACCORD) migrate --noinput
	$(ACCORD) demo-data --scale small --if-empty
	$(ACCORD) serve --host 127.0.0.1 --port 8000

test: install
	ACCORD_ENV=test $(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

test-fast: install
	ACCORD_ENV=test $(PY) -m pytest -m "not e2e and not slow" $(PYTEST_ARGS)

# Schemathesis over the whole API as anonymous, an API token and a bureau session, at length
# (`make test` runs the same with 4 examples per operation and identity).
fuzz: install
	ACCORD_ENV=test ACCORD_FUZZ_EXAMPLES=$${ACCORD_FUZZ_EXAMPLES:-200} $(PY) -m pytest -p no:cacheprovider -s tests/test_fuzz_api.py

bench: install
	$(PY) bench/run_all.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy accord/core accord/ledger accord/signing

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules var/cache var/static
