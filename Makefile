# The handbook builder. `make build` sets up everything on a fresh Debian machine and builds
# the bundled manual for every branch; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: build test fuzz bench setup setup-test check clean reference

build: setup
	$(BIN)/handbook build

check: setup
	$(BIN)/handbook check

test: setup-test
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

setup: $(VENV)/.installed
	@tools/system-deps.sh

setup-test: $(VENV)/.installed-test
	@tools/system-deps.sh --test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Regenerate templates/reference.docx (the Word styles) from tools/make_reference_docx.py.
reference: setup
	$(BIN)/python tools/make_reference_docx.py templates/reference.docx

clean:
	rm -rf output $(VENV)
