# The CRM's task runner. `make demo` and `make test` work on a fresh machine
# with nothing but Python 3.11 and make.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

# Local runs are development runs unless the environment says otherwise.
export DJANGO_DEBUG ?= true

.PHONY: help install install-dev demo serve test lint messages bench clean

help:
	@echo "make demo     set up and serve the CRM with demo data on http://127.0.0.1:$(PORT)"
	@echo "make test     set up and run the whole test suite"
	@echo "make bench    run the benchmarks (builds the large data set on first run)"
	@echo "make lint     ruff"
	@echo "make messages extract and compile the translation catalogues (needs gettext)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@$(BIN)/python manage.py demo_logins --url http://127.0.0.1:$(PORT)/
	$(BIN)/python manage.py runserver --noreload 127.0.0.1:$(PORT)

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

messages: install
	$(BIN)/python manage.py makemessages --locale zh_Hans --no-obsolete \
		--ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'staticfiles/*'
	$(BIN)/python manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

BENCHES ?= customer_list duplicates search imports_exports funnel attachments
bench: install-dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	@for name in $(BENCHES); do \
		echo "== bench/$$name.py"; $(BIN)/python -m bench.$$name || exit $$?; \
	done

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
