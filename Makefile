# The two commands a newcomer runs: `make demo` and `make test`. Each sets itself up:
# a virtual environment in .venv, the project installed into it, then the work.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test lint typecheck pytest coverage properties demo sandbox bench chaos clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# ruff, then the layers and the absence of import cycles (contracts in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy bot db flows migrations

# The clinic (flows/) must be fully covered by its own tests, without help from the rest.
# Both run on PYTEST_WORKERS processes (pytest-xdist; 0: in this one; coverage is combined
# across them), the slowest tests first. The console's browser tests need Debian's
# chromium; without it they are skipped, and said to be (ERAS_REQUIRE_BROWSER=1 makes that
# a failure, as in CI).
PYTEST_WORKERS ?= 2
REST := --ignore=tests/flows -n $(PYTEST_WORKERS) --dist worksteal
pytest: $(STAMP)
	$(BIN)/pytest tests/flows -n $(PYTEST_WORKERS) --dist worksteal --cov=flows --cov-branch \
		--cov-report=term-missing:skip-covered --cov-fail-under=100 -q $(PYTEST_ARGS)
	$(BIN)/pytest $(REST) $(PYTEST_ARGS)
	@command -v chromium >/dev/null || [ -n "$$ERAS_CHROMIUM" ] || \
		echo "make test: the console's browser tests were SKIPPED: no chromium (apt-get install chromium)"

# How much of bot/ and db/ the rest covers: a figure, not a gate (measuring doubles the time).
coverage: $(STAMP)
	$(BIN)/pytest $(REST) --cov=bot --cov=db --cov-report= -q $(PYTEST_ARGS)
	@echo "bot/ and db/ covered by the tests outside flows/: $$($(BIN)/coverage report --format=total)%"

test: lint typecheck pytest

# The property tests (hypothesis) ten times deeper than `make test` runs them: 1,000
# examples each instead of hypothesis's 100 (the "deep" profile in tests/conftest.py).
PROPERTIES := tests/flows/test_triage_properties.py tests/flows/test_daytime.py \
	tests/flows/test_chain_text.py tests/flows/test_findings.py tests/bot/test_callback_data.py
properties: $(STAMP)
	$(BIN)/pytest $(PROPERTIES) -n $(PYTEST_WORKERS) --dist worksteal --hypothesis-profile=deep \
		-q $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/eras demo

sandbox: $(STAMP)
	$(BIN)/eras sandbox

# The performance benchmarks (docs/BENCHMARKS.md): the better part of an hour at full size.
# PostgreSQL from ERAS_BENCH_POSTGRES_URL (default: postgres@127.0.0.1:5432).
bench: $(STAMP)
	mkdir -p bench-results
	$(BIN)/python -m benchmarks --json bench-results/latest.json $(BENCH_ARGS)

# The chaos run (docs/RELIABILITY.md): the bot killed and faulted, then three ledgers
# reconciled. PostgreSQL from ERAS_CHAOS_POSTGRES_URL.
CHAOS_ARGS ?= --patients 500 --kills 50
chaos: $(STAMP)
	ERAS_CHAOS_POSTGRES_URL="$${ERAS_CHAOS_POSTGRES_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/postgres}" \
		$(BIN)/python -m tests.chaos $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis test-artifacts
