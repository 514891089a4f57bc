VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint eval validate bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot

test: $(STAMP)
	$(PY) -m ruff check bot tests bench
	$(PY) -m bot validate
	$(PY) -m pytest -q

eval: $(STAMP)
	$(PY) -m bot eval ../shared/eval/real-questions-dev.yaml

validate: $(STAMP)
	$(PY) -m bot validate

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV)
