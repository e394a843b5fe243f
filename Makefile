# townplans: `make build` and `make test` each do the whole set-up on a fresh Debian machine:
# system packages (installed when root, else the exact apt command is printed), .venv, the package.

PYTHON ?= python3
# What the tests need beyond a build: LibreOffice opens every DOCX, pandoc reads them back, and
# headless Chromium with its driver drives `townplans serve` (tests/test_browser.py, offline: the
# Debian driver, never one Selenium downloads). setup-system.sh installs without Recommends: chromium
# recommends fonts-liberation, which becomes the fallback for Times New Roman/Arial and changes where
# WeasyPrint and LibreOffice break lines (test_table_layout, test_office fail with it installed).
TEST_PACKAGES := libreoffice-writer-nogui pandoc chromium chromium-driver
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build test test-fast fuzz proof recall mutation lint typecheck pytest pytest-fast system system-test venv clean

build: system $(STAMP)
	$(BIN)/townplans build

# The type check (about ten seconds on one core) runs beside the tests rather than before them:
# while it runs, the tests are starting their workers on the other core. The lint (seconds) still
# goes first, so a style mistake stops the run at once.
test: system-test venv lint
	@$(MAKE) --no-print-directory -j2 typecheck pytest

system:
	@PYTHON=$(PYTHON) ./scripts/setup-system.sh

system-test:
	@PYTHON=$(PYTHON) ./scripts/setup-system.sh $(TEST_PACKAGES)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Bytecode for the package too: where PYTHONDONTWRITEBYTECODE is set (as on the shared machines) an
# editable install never gets any, and every `townplans check` then compiles ~50 modules first
# (about a tenth of a second; a build's renderers more). The tests start hundreds of townplans
# processes, so they compile it first too. compileall skips what is up to date: cheap to repeat.
venv: $(STAMP)
	$(BIN)/python -m compileall -q townplans

lint: $(STAMP)
	$(BIN)/ruff check townplans tests tools benchmarks
	$(BIN)/ruff format --check townplans tests tools benchmarks
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: venv
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n auto

# Thousands of fresh hostile documents and YAML values through the loader, every rule and both
# writers (tests/test_fuzz.py, tests/test_fuzz_values.py) and the rulebook (tests/test_profile_fuzz.py).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q -n auto --hypothesis-show-statistics tests/test_fuzz.py tests/test_fuzz_values.py tests/test_profile_fuzz.py

# Contact sheets of every document type of a town, PDF beside Word (LibreOffice), in build/proof/.
proof: system-test $(STAMP)
	$(BIN)/townplans build
	$(BIN)/python tools/proof.py --town $(or $(TOWN),weicheng)

# The checker as a reviewer: plant 140+ realistic mistakes in a copy of the sample district, one at a
# time and in seeded combinations; prints recall per category and the false alarms, writes
# benchmarks/recall.md. Not part of `make test` (about a minute and a half).
recall: $(STAMP)
	$(BIN)/python benchmarks/recall.py

# Mutation testing of the modules that guard (path policy, package verify, waivers, serve's paths,
# comparators, limits): mutmut with two child processes and a few aimed test files per module,
# about 15 minutes; writes the table of benchmarks/mutation.md and fails on a survivor not
# explained there. Not part of `make test`.
MUTATION_STAMP := $(VENV)/.mutation-installed

$(MUTATION_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	touch $(MUTATION_STAMP)

mutation: $(MUTATION_STAMP)
	$(BIN)/python benchmarks/mutation.py

# The inner loop: everything but the end-to-end builds marked slow.
test-fast: venv lint
	@$(MAKE) --no-print-directory -j2 typecheck pytest-fast

pytest-fast: venv
	$(BIN)/pytest -q -n auto -m "not slow"

clean:
	rm -rf build $(VENV) .pytest_cache .mypy_cache .ruff_cache
