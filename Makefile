# microgpt, step by step. `make` lists the verbs.
# Steps need nothing but python3; `make test` (and the notebook/docs verbs) build a pinned .venv.
# Knobs pass through to the steps, e.g. `make step5 NUM_STEPS=50`.

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python

# Only the rules written here: make's built-in ones would turn `make step` into `python3 steps/train.o.py`.
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

# The steps that exist (steps/trainN.py), in order: the verbs and their usage lines follow them.
# make sorts as text, so the one-digit numbers go first, then the longer ones.
FOUND  := $(patsubst steps/train%.py,%,$(wildcard steps/train*.py))
DIGITS := 0 1 2 3 4 5 6 7 8 9
STEPS  := $(sort $(filter $(DIGITS),$(FOUND))) $(sort $(filter-out $(DIGITS),$(FOUND)))
FIRST  := $(firstword $(STEPS))
LAST   := $(lastword $(STEPS))
STEP_USAGE := usage: make stepN (N = $(FIRST)…$(LAST)), e.g. make step3 NUM_STEPS=50
DIFF_USAGE := usage: make diffN (N = $(word 2,$(STEPS))…$(LAST)), e.g. make diff3 CODE=1 (make diffs: all of them)

.DEFAULT_GOAL := help
.PHONY: help data test clean diffs venv check-full bench notebooks lab step diff sample

help: ## list the verbs
	@echo "microgpt, step by step — verbs:"
	@echo "  make step$(FIRST) … step$(LAST)    run a step (e.g. make step3 NUM_STEPS=50 for a quick run)"
	@echo "  make diff$(word 2,$(STEPS)) … diff$(LAST)    show what step N adds to step N-1 (make diffs: all of them)"
	@echo "                        CODE=1: the code only (no prose, comments, blanks; re-indenting is no change)"
	@echo "  make sampleN          sample names from step N, trained once (make sample5 PROMPT=ma TEMPERATURE=0.8)"
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

# `make step` and `make step9` (no such step): the usage line, exit status 2 like any bad command line.
step:
	@echo "$(STEP_USAGE)" >&2; exit 2

step%: ## (stepN) run steps/trainN.py
	$(if $(filter $*,$(STEPS)),$(PYTHON) steps/train$*.py,@echo "$(STEP_USAGE)" >&2; exit 2)

sample:
	@echo "usage: make sampleN (N = $(FIRST)…$(LAST)), e.g. make sample5 PROMPT=ma" >&2; exit 2

# CODE=1: the code only (tools/diff.py --code).
DIFF_ARGS = $(if $(filter 1,$(CODE)), --code)

sample%: ## (sampleN) sample names from steps/trainN.py trained once: PROMPT=ma TEMPERATURE=0.8 NUM_SAMPLES=5, or TOP=mar
	$(if $(filter $*,$(STEPS)),@$(PYTHON) tools/sample.py $*,@echo "usage: make sampleN (N = $(FIRST)…$(LAST)), e.g. make sample5 PROMPT=ma" >&2; exit 2)

diff:
	@echo "$(DIFF_USAGE)" >&2; exit 2

diff%: ## (diffN) the diff trainN-1 -> trainN (CODE=1: code only)
	@$(PYTHON) tools/diff.py $*$(DIFF_ARGS)

diffs: ## every diff, in order (CODE=1: code only)
	@$(PYTHON) tools/diff.py --all$(DIFF_ARGS)

data: ## download data/names.txt now (the steps do it on first use)
	$(PYTHON) tools/dataset.py

venv: $(VENV)/.installed ## build the pinned environment (.venv) used by tests and notebooks

# tools/run_tests.py builds .venv and runs the tests: the same on Windows, where there is no make.
$(VENV)/.installed: requirements.txt
	@$(PYTHON) tools/run_tests.py --venv

test: $(VENV)/.installed ## run every test (builds .venv on first use)
	@$(PYTHON) tools/run_tests.py

check-full: ## the full-length check: train5 against the reference log and golden weights (~2 min)
	$(PYTHON) tools/check_full.py

bench: ## time every step with its defaults: docs/bench.json, bench.md and every figure quoted from them (BENCH_ARGS="--baseline REV": side by side)
	$(PYTHON) tools/bench.py $(BENCH_ARGS)
	@$(MAKE) --no-print-directory figures

clean: ## remove the venvs, caches, downloads and everything built (keeps data/names.txt)
	rm -rf $(VENV) .venv-* .pytest_cache docs/_build build lite/_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

notebooks: $(VENV)/.installed ## regenerate notebooks/trainN.ipynb from steps/trainN.py, and the student versions
	$(VPY) tools/notebooks.py
	$(VPY) tools/exercises.py

.PHONY: exercises
exercises: $(VENV)/.installed ## regenerate only the student notebooks notebooks/exercises/trainN.ipynb (blanks + checks)
	$(VPY) tools/exercises.py

.PHONY: docs ladder docs-check
docs: $(VENV)/.installed ## build the site into docs/_build/ from the committed ladder (DOCS_ARGS=--quick: no ladder needed)
	$(VPY) tools/docs.py $(DOCS_ARGS)

ladder: $(VENV)/.installed ## re-run every step full length (minutes): docs/ladder.md, ladder.json, loss_curves.svg/.png
	$(VPY) tools/ladder.py
	@$(MAKE) --no-print-directory figures

docs-check: docs chromium ## open the built site in headless Chromium: screenshots in docs/_build/screenshots/
	$(VPY) tools/screenshot.py

# LAB_ARGS passes options on, e.g. make lab LAB_ARGS="--no-browser --port=8889"
# The lab as the repo starts it: tools/lab_config.py saves notebooks with the repo's kernel metadata
# (tools/kernel_metadata.py); as root (a container, a lab VM) jupyter refuses to start without --allow-root.
LAB := $(VENV)/bin/jupyter lab --config=tools/lab_config.py $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
lab: $(VENV)/.lab-installed $(LAB_OVERRIDES) ## open the notebooks in JupyterLab (NUM_STEPS=50 make lab: quick mode in every kernel)
	$(LAB) notebooks/ $(LAB_ARGS)

$(VENV)/.lab-installed: $(VENV)/.installed requirements-lab.txt
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-lab.txt -c requirements.txt
	touch $@

# The lab's own defaults: JupyterLab's overrides.json in the venv's app settings folder. Copied from
# tools/lab_overrides.json, it turns off the pop-up asking to fetch Jupyter news, which would sit over
# the first notebook (a choice made in the Settings editor still wins). A file target of its own, so
# that an existing .venv gets it too.
$(LAB_OVERRIDES): tools/lab_overrides.json $(VENV)/.lab-installed
	@mkdir -p $(@D)
	cp $< $@

# --- browser checks (tools/browser.py): Debian's chromium driven by playwright, pinned in
# requirements-browser.txt and installed into .venv; playwright's own browser download is never used.
# A missing chromium is installed only when asked: INSTALL_CHROMIUM=1 (what .ci/run sets).
.PHONY: chromium browser-deps
chromium: ## check that Debian's chromium is here (INSTALL_CHROMIUM=1: apt-get install it if not)
	@[ -n "$$CHROMIUM" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  if [ "$(INSTALL_CHROMIUM)" = 1 ]; then echo "installing Debian's chromium (INSTALL_CHROMIUM=1) …"; \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "error: no chromium here: sudo apt-get install chromium (or add INSTALL_CHROMIUM=1 to the make command)"; exit 1; fi

browser-deps: $(VENV)/.browser-installed chromium ## what browser checks need: playwright (pinned) and chromium

$(VENV)/.browser-installed: $(VENV)/.installed requirements-browser.txt
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-browser.txt -c requirements.txt
	touch $@

# --- lab-check (issue 15): the real JupyterLab opens and saves every notebook; git status stays clean.
# First the browser machinery's own test (make test skips it where playwright is not installed yet).
.PHONY: lab-check
lab-check: $(VENV)/.lab-installed $(LAB_OVERRIDES) browser-deps ## open+save every notebook in the pinned lab (headless), run train5 quick; git status must stay clean
	$(VPY) -m pytest -q tests/test_browser.py
	$(VPY) tools/lab_check.py -- $(LAB)

# --- figures: every measured figure in README.md and docs/*.md is written from its source ---------
.PHONY: figures
figures: $(VENV)/.installed ## rewrite the figures README.md and docs/*.md quote from docs/ladder.json, bench.json and the steps (measures nothing)
	$(VPY) tools/figures.py

# --- The course in a browser tab: JupyterLite (tools/lite.py, tools/lite_check.py; own venv .venv-lite) ---
LITE_VENV := .venv-lite
.PHONY: lite lite-check lite-lock
# LITE_START picks the notebook the landing page starts students on, e.g. make lite LITE_START=notebooks/exercises/train3.ipynb
lite: $(LITE_VENV)/.installed ## build the whole course as a static JupyterLite site: docs/_build/lite/ (serve it, open it)
	$(LITE_VENV)/bin/python tools/lite.py $(if $(LITE_START),--start $(LITE_START))

lite-check: $(LITE_VENV)/.installed browser-deps ## build again (same bytes?), then run lessons and an exercise in headless Chromium
	$(LITE_VENV)/bin/python tools/lite.py --verify
	$(VPY) tools/lite_check.py

lite-lock: $(LITE_VENV)/.installed ## re-pin lite/lock.json (Pyodide's npm integrity, the wheels' sha256) after a kernel upgrade
	$(LITE_VENV)/bin/python tools/lite.py --lock

$(LITE_VENV)/.installed: requirements-lite.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "error: $(PYTHON) is $$($(PYTHON) --version 2>&1); make lite needs Python 3.10 or newer"; exit 1; }
	@command -v npm >/dev/null || { echo "error: make lite needs npm (it fetches Pyodide from the npm registry): install Node.js"; exit 1; }
	$(PYTHON) -m venv $(LITE_VENV)
	$(LITE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-lite.txt
	touch $@

# --- nbgrader (docs/exercises.md): a course folder for the six steps, and the proof that nbgrader
# itself grades it right. nbgrader is pinned in requirements-nbgrader.txt and lives in a venv of its
# own (.venv-nbgrader, with requirements.txt), so make test stays lean.
NBG_VENV := .venv-nbgrader
.PHONY: nbgrader grade-check
nbgrader: $(NBG_VENV)/.installed ## write an nbgrader course (nbgrader-course/: source/train0 … train5) and install nbgrader
	@[ -f data/names.txt ] || $(PYTHON) tools/dataset.py || echo "(no data/names.txt: each notebook downloads it when it runs)"
	$(NBG_VENV)/bin/python tools/nbgrader_course.py nbgrader-course

grade-check: $(NBG_VENV)/.installed ## nbgrader generate_assignment + autograde + generate_feedback on simulated students (5-10 min)
	$(PYTHON) tools/dataset.py
	$(NBG_VENV)/bin/python tools/nbgrader_course.py --grade-check

$(NBG_VENV)/.installed: requirements.txt requirements-nbgrader.txt
	$(PYTHON) -m venv $(NBG_VENV)
	$(NBG_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-nbgrader.txt
	touch $@
