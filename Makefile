VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint eval validate bench tune clean lock

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench,semantic]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot

# requirements.lock: the exact versions, with hashes, the Docker image installs. Run after changing
# dependencies in pyproject.toml (or to take up new releases), then commit it.
lock: $(STAMP)
	$(PY) -m pip install --quiet uv
	$(PY) -m uv pip compile pyproject.toml --extra semantic --generate-hashes --upgrade \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 -o requirements.lock

EVAL_SET ?= ../shared/eval/real-questions-dev.yaml
# Real questions collected for this project, measured beside the shared dev set.
EXTRA_SET := eval/real-questions-extra.yaml
# Collected after the last tuning and kept out of `make tune`: the check that nothing is overfitted.
MORE_SET := eval/real-questions-more.yaml
# A fourth set collected on 2026-11-25, held out from tuning (only its 4 wrong answers were read, once).
FRESH_SET := eval/real-questions-fresh.yaml
# A fifth set collected on 2026-12-05 by a helper, from 35 pages no other set uses; held out (only its one
# wrong answer and the list of its 8 off-topic questions were read).
FIFTH_SET := eval/real-questions-fifth.yaml
# 11 real questions in Ukrainian and Russian (5 in scope): too few for accuracy; gated on safety.
CYRILLIC_SET := eval/real-questions-cyrillic.yaml
# 17 real Polish questions from 14 new pages (9 in scope): all the corpus still had; measured, not gated.
POLISH_SET := eval/real-questions-polish.yaml
# Accuracy gates at the level reached (README "Accuracy"); raise them, never lower them.
EVAL_GATES := --gate 'top1>=36' --gate 'top3>=87' --gate 'en.top1>=35' --gate 'pl.top1>=45' \
	--gate 'en.top3>=91' --gate 'pl.top3>=90' --gate 'abstained>=90' --gate 'wrong_confident<=3' \
	--gate 'rank1>=65'
EXTRA_GATES := --gate 'top1>=40' --gate 'top3>=91' --gate 'en.top1>=42' --gate 'pl.top1>=50' \
	--gate 'abstained>=100' --gate 'wrong_confident<=1' --gate 'rank1>=67'
MORE_GATES := --gate 'top1>=31' --gate 'top3>=82' --gate 'abstained>=100' --gate 'wrong_confident<=4' \
	--gate 'rank1>=64'
FRESH_GATES := --gate 'top1>=29' --gate 'top3>=85' --gate 'abstained>=100' --gate 'wrong_confident<=1' \
	--gate 'rank1>=71'
FIFTH_GATES := --gate 'top1>=28' --gate 'top3>=84' --gate 'abstained>=87' --gate 'wrong_confident<=2' \
	--gate 'rank1>=68'
CYRILLIC_GATES := --gate 'abstained>=100' --gate 'wrong_confident<=0'

test: $(STAMP)
	$(PY) -m ruff check bot tests bench
	$(PY) -m bot validate
	$(PY) -m pytest -q
	@if [ -f $(EVAL_SET) ]; then \
		BOT_CACHE_DIR=.cache $(PY) -m bot eval $(EVAL_SET) --misses 0 $(EVAL_GATES); \
	else echo "eval skipped: $(EVAL_SET) not found"; fi
	BOT_CACHE_DIR=.cache $(PY) -m bot eval $(EXTRA_SET) --misses 0 $(EXTRA_GATES)
	BOT_CACHE_DIR=.cache $(PY) -m bot eval $(MORE_SET) --misses 0 $(MORE_GATES)
	BOT_CACHE_DIR=.cache $(PY) -m bot eval $(FRESH_SET) --misses 0 $(FRESH_GATES)
	BOT_CACHE_DIR=.cache $(PY) -m bot eval $(FIFTH_SET) --misses 0 $(FIFTH_GATES)
	BOT_CACHE_DIR=.cache $(PY) -m bot eval $(CYRILLIC_SET) --misses 0 $(CYRILLIC_GATES)

eval: $(STAMP)
	$(PY) -m bot eval $(EVAL_SET) $(EXTRA_SET) $(MORE_SET) $(FRESH_SET) $(FIFTH_SET) $(CYRILLIC_SET) \
		$(POLISH_SET)

validate: $(STAMP)
	$(PY) -m bot validate

bench: $(STAMP)
	$(PY) bench/run.py

# Search the answer thresholds again (after large knowledge-base changes, or in a fork).
tune: $(STAMP)
	$(PY) bench/tune.py $(EVAL_SET) $(EXTRA_SET)

clean:
	rm -rf $(VENV)
