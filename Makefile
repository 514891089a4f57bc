VENV ?= .venv
PY := $(VENV)/bin/python
# What running needs (the runtime and the meaning model): `make run`.
RUNTIME := $(VENV)/.runtime
# The runtime and the dev tools (pytest, ruff, hadolint): `make test`, `make eval`.
STAMP := $(VENV)/.installed
# The dev tools and the baselines bench/ compares against: `make bench`, `make tune`.
BENCH := $(VENV)/.bench

.PHONY: run test lint eval validate bench tune clean lock

$(PY):
	python3 -m venv $(VENV)

$(RUNTIME): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[semantic]'
	touch $@

$(STAMP): $(RUNTIME)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,semantic]'
	touch $@

$(BENCH): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench,semantic]'
	touch $@

run: $(RUNTIME)
	$(PY) -m bot

# requirements.lock: the exact versions, with hashes, the Docker image installs. Run after changing
# dependencies in pyproject.toml (or to take up new releases), then commit it.
lock: $(STAMP)
	$(PY) -m pip install --quiet uv
	$(PY) -m uv pip compile pyproject.toml --extra semantic --generate-hashes --upgrade \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 -o requirements.lock

# The shared dev set, relabelled on 2026-12-07 (expect may list several right entries).
EVAL_SET ?= ../shared/eval/real-questions-dev-v2.yaml
# This project's own sets, relabelled blind on 2026-12-08 by the same rules (README "Accuracy").
# Real questions collected for this project, measured beside the shared dev set; tuned on.
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
# first_right: the first reply (answer or guess) shows a right entry; top1: answered right.
LENGTH_GATES := --gate 'median_length<=700' --gate 'max_length<=1500'
EVAL_GATES := --gate 'first_right>=59' --gate 'top1>=35' --gate 'rank1>=74' --gate 'top3>=93' \
	--gate 'pl.first_right>=80' --gate 'wrong_confident<=2' --gate 'guess_wrong<=10' \
	--gate 'declined>=87' $(LENGTH_GATES)
# The dev set typed without Polish letters: within 3 points of the original (issue "Answer first").
STRIPPED_GATES := --gate 'first_right>=58' --gate 'rank1>=73' --gate 'pl.rank1>=90' \
	--gate 'wrong_confident<=3'
EXTRA_GATES := --gate 'first_right>=64' --gate 'top1>=39' --gate 'rank1>=76' --gate 'top3>=92' \
	--gate 'wrong_confident<=1' --gate 'guess_wrong<=9' --gate 'declined>=92' $(LENGTH_GATES)
MORE_GATES := --gate 'first_right>=44' --gate 'top1>=31' --gate 'rank1>=68' --gate 'top3>=84' \
	--gate 'wrong_confident<=4' --gate 'guess_wrong<=6' --gate 'declined>=100' $(LENGTH_GATES)
FRESH_GATES := --gate 'first_right>=60' --gate 'top1>=29' --gate 'rank1>=78' --gate 'top3>=90' \
	--gate 'wrong_confident<=1' --gate 'guess_wrong<=9' --gate 'declined>=75' $(LENGTH_GATES)
FIFTH_GATES := --gate 'first_right>=53' --gate 'top1>=28' --gate 'rank1>=71' --gate 'top3>=84' \
	--gate 'wrong_confident<=2' --gate 'guess_wrong<=12' --gate 'declined>=87' $(LENGTH_GATES)
CYRILLIC_GATES := --gate 'declined>=100' --gate 'wrong_confident<=0' --gate 'guess_wrong<=0'

test: $(STAMP)
	$(PY) -m ruff check bot tests bench
	$(PY) -m bot validate
	$(PY) -m pytest -q
	@if [ -f $(EVAL_SET) ]; then \
		$(PY) -m bot eval $(EVAL_SET) --misses 0 $(EVAL_GATES) && \
		$(PY) -m bot eval $(EVAL_SET) --misses 0 --strip-diacritics $(STRIPPED_GATES); \
	else echo "eval skipped: $(EVAL_SET) not found"; fi
	$(PY) -m bot eval $(EXTRA_SET) --misses 0 $(EXTRA_GATES)
	$(PY) -m bot eval $(MORE_SET) --misses 0 $(MORE_GATES)
	$(PY) -m bot eval $(FRESH_SET) --misses 0 $(FRESH_GATES)
	$(PY) -m bot eval $(FIFTH_SET) --misses 0 $(FIFTH_GATES)
	$(PY) -m bot eval $(CYRILLIC_SET) --misses 0 $(CYRILLIC_GATES)

eval: $(STAMP)
	$(PY) -m bot eval $(EVAL_SET) $(EXTRA_SET) $(MORE_SET) $(FRESH_SET) $(FIFTH_SET) $(CYRILLIC_SET) \
		$(POLISH_SET)

validate: $(RUNTIME)
	$(PY) -m bot validate

bench: $(BENCH)
	$(PY) bench/run.py

# Search the answer thresholds again (after large knowledge-base changes, or in a fork).
tune: $(BENCH)
	$(PY) bench/tune.py $(EVAL_SET) $(EXTRA_SET)

clean:
	rm -rf $(VENV)
