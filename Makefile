# Two commands do all set-up on a fresh machine with Python 3.11, make and git:
#   make demo   - create .venv, install, run the bundled integration (VERBOSE=1: every step's whole output)
#   make test   - create .venv, install with dev dependencies, run the whole suite
#   make bench  - the benchmarks (on demand, not part of make test): a table and bench/results.json
#   make bench-scale - many shops on one Celery worker and on two (needs PostgreSQL and RabbitMQ)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-scale ci lint typecheck schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m demo $(if $(VERBOSE),--verbose)

test: $(STAMP)
	$(BIN)/ruff check engine connectors tests demo bench
	$(BIN)/mypy
	$(BIN)/pytest

# Sync cost against Shopify's rate-limit floor, planning CPU and memory, webhook latency; see bench/README.md.
bench: $(STAMP)
	$(BIN)/python -m bench

# 20 shops on one Celery worker, then two (Dagster, PostgreSQL and RabbitMQ running; .ci/run starts them).
bench-scale: $(STAMP)
	$(BIN)/python -m bench --only scale

# What the pull-request workflow runs, locally: validate, mapping tests, the plan for ENV (exit 2
# means "there are changes", which is not a failure here). On a fresh clone ENV is sandbox: the plan
# runs against the sandboxes, served for it and stopped after. ENV=test plans against the test
# systems, as the workflow does, with their state URL and credentials set as it sets them.
ENV ?= sandbox
PLAN_BESIDE = $(if $(filter sandbox,$(ENV)),$(BIN)/tillsync sandbox up --env $(ENV) --)
ci: $(STAMP)
	$(BIN)/tillsync validate --format github
	$(BIN)/tillsync test
	$(PLAN_BESIDE) $(BIN)/tillsync plan --env $(ENV) --format markdown --out plan.md || test $$? -eq 2

# The generated files: schemas/ (JSON Schema of specs and environments) and docs/connectors/.
schema: $(STAMP)
	$(BIN)/tillsync schema

clean:
	rm -rf $(VENV) .tillsync .pytest_cache .mypy_cache
