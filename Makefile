# Accord — two commands do all set-up: `make run` and `make test` (README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
ACCORD := $(VENV)/bin/accord
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run install test test-fast test-tools fuzz bench lint format clean

$(VENV)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.5"
	uv sync --frozen --all-extras --python python3
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed node_modules/.installed

# What the tests use beside Python and Node: Debian's Chromium (browser tests), poppler's pdfsig
# with NSS's certutil (the independent signature check) and SoftHSM2 (the PKCS#11 token).
# `make run` needs none of them (fonts come from npm, page images from pypdfium2's wheel).
# As root they are installed with apt; otherwise one line names them and make stops.
TEST_TOOLS := chromium:chromium pdfsig:poppler-utils certutil:libnss3-tools softhsm2-util:softhsm2

test-tools:
	@missing=""; for t in $(TEST_TOOLS); do command -v "$${t%%:*}" >/dev/null 2>&1 || missing="$$missing $${t##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages for the tests:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	  else echo "make test needs these Debian packages; install them and run it again: sudo apt-get install$$missing"; exit 1; fi; \
	fi

# Static files hashed and compressed (gzip, Brotli) for WhiteNoise, again only when they change.
STATIC_MANIFEST := $(or $(ACCORD_VAR_DIR),var)/static/staticfiles.json
$(STATIC_MANIFEST): package-lock.json $(shell find accord -path '*/static/*' -type f) | install
	$(ACCORD) collectstatic --noinput --verbosity 0

run: install $(STATIC_MANIFEST)
	$(ACCORD) migrate --noinput
	$(ACCORD) demo-data --scale small --if-empty
	$(ACCORD) serve --host 127.0.0.1 --port 8000

# Two workers (pytest-xdist), each with its own test database, var directory and Redis database
# (tests/support/workers.py): the whole suite in well under 20 minutes on a busy 2-core machine.
TEST_WORKERS ?= 2

test: install test-tools
	ACCORD_ENV=test $(PY) -m pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test-fast: install
	ACCORD_ENV=test $(PY) -m pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal -m "not e2e and not slow" $(PYTEST_ARGS)

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
