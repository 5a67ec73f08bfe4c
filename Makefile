# Two commands matter: `make run` and `make test`. Both install into .venv first when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test train lint lock clean bench-quality bench-speed reliability

install: $(STAMP)

# Re-installs only when the dependency declarations change (quick no-op otherwise). Versions come
# from requirements.lock, so every machine and CI run gets the same ones.
$(STAMP): setup.cfg pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,bench]'
	touch $(STAMP)

# Re-resolve setup.cfg's ranges in a scratch venv and write the newest versions into requirements.lock.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev,bench]'
	{ sed -n '1,2p' requirements.lock; .lock-venv/bin/python -m pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

run: install
	$(BIN)/triage serve

test: install
	$(BIN)/python -m pytest -q

train: install
	$(BIN)/triage build-data
	$(BIN)/triage train

# Accuracy beside rules alone, the classifier alone, fastText and TF-IDF + LR (docs/benchmarks.md).
bench-quality: install
	$(BIN)/python -m bench.quality

# Speed beside word_tokenize, fastText and rules alone; HTTP with 1 and 2 workers; scaling (docs/benchmarks.md).
bench-speed: install
	$(BIN)/python -m bench.speed

# Load and fault scripts against PostgreSQL (docs/reliability.md); each < 3 min, not part of `make test`.
# db_outage stops and restarts the local PostgreSQL cluster for ~10 s.
reliability: install
	$(BIN)/python -m reliability.sustained_load
	$(BIN)/python -m reliability.kill_worker
	$(BIN)/python -m reliability.db_outage
	$(BIN)/python -m reliability.corrupt_model
	$(BIN)/python -m reliability.sigterm

lint: install
	$(BIN)/ruff check triage service tests bench

clean:
	rm -rf $(VENV) build *.egg-info
