# Two commands matter: `make run` and `make test`. Both install into .venv first when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test train lint clean

install: $(STAMP)

# Re-installs only when the dependency declarations change (quick no-op otherwise).
$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/triage serve

test: install
	$(BIN)/python -m pytest -q

train: install
	$(BIN)/triage build-data
	$(BIN)/triage train

lint: install
	$(BIN)/ruff check triage service tests bench

clean:
	rm -rf $(VENV) build *.egg-info
