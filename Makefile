# The handbook builder. `make build` sets up everything on a fresh Debian machine and builds
# the bundled manual for every branch; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: build test fuzz bench setup setup-test system-deps system-deps-test check clean reference lock

build: setup
	$(BIN)/handbook build

check: setup
	$(BIN)/handbook check

test: setup-test
	$(BIN)/ruff check builder tests
	$(BIN)/ruff format --check builder tests
	$(BIN)/python -m pytest -q

# The property-based test (tests/sources/test_fuzz.py) with 20,000 random generated sources instead of
# the 2,000 fixed ones of `make test`; HYPOTHESIS_MAX_EXAMPLES=N changes the number.
fuzz: setup-test
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/sources/test_fuzz.py --hypothesis-show-statistics

# The benchmark (bench/README.md): scales the bundled manual to 50 and 200 branches, times the
# builder against raw WeasyPrint, LibreOffice and pandoc, prints JSON lines and a summary.
# BENCH_ARGS="--quick" tries it out in minutes; `bench/bench.py --help` lists the options.
bench: setup
	@tools/system-deps.sh --bench
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

# System packages first: on a plain Debian they include python3-venv, which the venv needs.
setup: system-deps $(VENV)/.installed

setup-test: system-deps-test $(VENV)/.installed-test

system-deps:
	@tools/system-deps.sh

system-deps-test:
	@tools/system-deps.sh --test

# The Python packages come from the lock files, exact versions with their hashes, so every
# machine renders with the libraries the tests passed with (byte-identical outputs depend on
# them). `make lock` refreshes them on purpose.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements-test.lock
	touch $@

# Re-resolve pyproject.toml's dependencies to their newest releases and write both lock files
# (pip-tools in a throwaway venv). Run the tests after it, and commit the lock files with them.
LOCK_ARGS := -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
             --no-emit-find-links --all-build-deps
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q pip-tools
	.venv-lock/bin/pip-compile $(LOCK_ARGS) --upgrade --extra test -o requirements-test.lock pyproject.toml
	.venv-lock/bin/pip-compile $(LOCK_ARGS) --upgrade -c requirements-test.lock -o requirements.lock pyproject.toml
	rm -rf .venv-lock

# Regenerate templates/reference.docx (the Word styles) from tools/make_reference_docx.py.
reference: setup
	$(BIN)/python tools/make_reference_docx.py templates/reference.docx

clean:
	rm -rf output $(VENV) .venv-lock
