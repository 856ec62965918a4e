# microgpt, step by step. `make` lists the learner's and the teacher's verbs; `make help-dev` the rest.
# Steps need nothing but python3; `make test` (and the notebook/docs verbs) build a pinned .venv.
# Knobs pass through to the steps, e.g. `make step5 NUM_STEPS=50`.
# Every tool is in tools/ (tools/README.md): the learner's commands run by path, each room as a module.

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
BUILD  := build

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
SAMPLE_USAGE := usage: make sampleN (N = $(FIRST)…$(LAST)), e.g. make sample5 PROMPT=ma

.DEFAULT_GOAL := help
.PHONY: help help-dev data test test-notebooks clean diffs venv step diff sample

# `## text` after a verb lists it in `make`; `##dev text` in `make help-dev`.
VERBS = grep -hE '^[a-z-]+:.*$(1) ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*$(1) (.*)/  make \1\t\2/' | expand -t 24

# Each list is one subshell: a reader that leaves early (`make | head`) ends it quietly, with status 0.
help:
	@( echo "microgpt, step by step — the learner's and the teacher's verbs (make help-dev: the maintainer's):"; \
	echo "  make step$(FIRST) … step$(LAST)    run a step (make step3 NUM_STEPS=50: a quick run)"; \
	echo "  make diff$(word 2,$(STEPS)) … diff$(LAST)    what step N adds to step N-1 (make diffs: all; CODE=1: code only)"; \
	echo "  make sample$(FIRST) … sample$(LAST)  names from step N, trained once (make sample5 PROMPT=ma TEMPERATURE=0.8)"; \
	$(call VERBS,##) ) 2>/dev/null || true

help-dev: ##dev the maintainer's verbs: generators, measurements, proofs in the real tools
	@( echo "microgpt, step by step — the maintainer's verbs (make: the learner's and the teacher's):"; \
	$(call VERBS,##dev) ) 2>/dev/null || true

# `make step` and `make step9` (no such step): the usage line, exit status 2 like any bad command line.
step:
	@echo "$(STEP_USAGE)" >&2; exit 2

step%:
	$(if $(filter $*,$(STEPS)),$(PYTHON) steps/train$*.py,@echo "$(STEP_USAGE)" >&2; exit 2)

sample:
	@echo "$(SAMPLE_USAGE)" >&2; exit 2

# PROMPT=ma TEMPERATURE=0.8 NUM_SAMPLES=5 or TOP=mar pass through as environment variables.
sample%:
	$(if $(filter $*,$(STEPS)),@$(PYTHON) tools/sample.py $*,@echo "$(SAMPLE_USAGE)" >&2; exit 2)

# CODE=1: the code only (tools/diff.py --code).
DIFF_ARGS = $(if $(filter 1,$(CODE)), --code)

diff:
	@echo "$(DIFF_USAGE)" >&2; exit 2

diff%:
	@$(PYTHON) tools/diff.py $*$(DIFF_ARGS)

diffs:
	@$(PYTHON) tools/diff.py --all$(DIFF_ARGS)

data: ## download data/names.txt now (the steps do it on first use)
	$(PYTHON) tools/dataset.py

venv: $(VENV)/.installed ##dev build the pinned environment (.venv) used by tests and notebooks

# tools/run_tests.py builds .venv and runs the tests: the same on Windows, where there is no make.
$(VENV)/.installed: requirements.txt
	@$(PYTHON) tools/run_tests.py --venv

test: $(VENV)/.installed ## run the tests of the steps and the tools (builds .venv on first use)
	@$(PYTHON) tools/run_tests.py

test-notebooks: $(VENV)/.installed ## run every notebook, lesson and student, in a fresh Jupyter kernel, and test it
	@$(PYTHON) tools/run_tests.py --notebooks

clean: ## remove the venvs, caches, downloads and everything built (keeps data/names.txt)
	rm -rf $(VENV) .venv-* .pytest_cache $(BUILD)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

.PHONY: lint
lint: $(VENV)/.installed ##dev ruff (ruff.toml): lint steps/, tools/ and tests/, and check tools/ and tests/ are formatted
	$(VPY) -m ruff check steps tools tests
	$(VPY) -m ruff format --check tools tests

# --- generators: notebooks and figures from their one source --------------------------------------
.PHONY: notebooks exercises figures
notebooks: $(VENV)/.installed ##dev regenerate notebooks/trainN.ipynb from steps/trainN.py, and the student versions
	$(VPY) -m tools.generate.notebooks
	$(VPY) -m tools.exercises.student

exercises: $(VENV)/.installed ##dev regenerate only the student notebooks notebooks/exercises/ (blanks + checks)
	$(VPY) -m tools.exercises.student

figures: $(VENV)/.installed ##dev rewrite the figures README.md and docs/ quote from docs/results/ and the steps (measures nothing)
	$(VPY) -m tools.generate.figures

# --- measurements: docs/results/ ---------------------------------------------------------------------
.PHONY: fidelity ladder bench
fidelity: ##dev every step at full length: train5 = the reference log and golden weights (~2 min)
	$(PYTHON) -m tools.measure.fidelity

ladder: $(VENV)/.installed ##dev re-run every step full length (minutes): docs/results/ladder.*, loss_curves.*
	$(VPY) -m tools.measure.ladder
	@$(MAKE) --no-print-directory figures

bench: ##dev time every step: docs/results/bench.* and every figure from them (BENCH_ARGS="--baseline REV" or --setup)
	$(PYTHON) -m tools.measure.bench $(BENCH_ARGS)
	@$(MAKE) --no-print-directory figures

# A delivery channel's venv of its own, for `make VERB`, from its pins; its target is FOLDER/.installed:
# $(call ROOM_VENV,VERB,FOLDER,REQUIREMENTS,OLDEST PYTHON[,WHY NPM: for a channel that needs npm])
define ROOM_VENV
@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < tuple(map(int, "$(4)".split("."))))' || \
  { echo "error: $(PYTHON) is $$($(PYTHON) --version 2>&1); make $(1) needs Python $(4) or newer"; exit 1; }
$(if $(5),@command -v npm >/dev/null || { echo "error: make $(1) needs npm ($(5)): install Node.js"; exit 1; })
$(PYTHON) -m venv $(2)
$(2)/bin/python -m pip install --quiet --disable-pip-version-check $(addprefix -r ,$(3))
touch $(2)/.installed
endef

# --- the course site (tools/site; own venv .venv-site): Sphinx, myst-nb, jupyterlite-sphinx --------------
SITE_VENV := .venv-site
.PHONY: docs docs-proof
docs: $(SITE_VENV)/.installed ## build the course site into build/site/ (serve it: python3 -m http.server -d build/site)
	@[ -f data/names.txt ] || $(PYTHON) tools/dataset.py
	$(SITE_VENV)/bin/python -m tools.site.build $(DOCS_ARGS)

# The site's tests (a tiny build with .venv-site), then a second build (same bytes?), then the browser.
docs-proof: docs browser-deps ##dev build again (same bytes?), then every link, search and a lesson in JupyterLite, in headless Chromium
	SITE_PYTHON=$(SITE_VENV)/bin/python $(VPY) -m pytest -q -p no:xdist -m "not chromium" tests/test_docs.py
	$(SITE_VENV)/bin/python -m tools.site.build --verify
	$(VPY) -m tools.browser.site

# Sphinx 8.2 needs Python 3.11.
$(SITE_VENV)/.installed: tools/site/requirements.txt
	$(call ROOM_VENV,docs,$(SITE_VENV),$<,3.11,MathJax and Pyodide come from the npm registry)

# --- JupyterLab (tools/lab) ----------------------------------------------------------------------------
# LAB_ARGS passes options on, e.g. make lab LAB_ARGS="--no-browser --port=8889"
# The lab as the repo starts it: tools/lab/config.py saves notebooks with the repo's kernel metadata
# (tools/generate/kernel_metadata.py); as root (a container, a lab VM) jupyter refuses to start without
# --allow-root.
.PHONY: lab lab-proof
LAB := $(VENV)/bin/jupyter lab --config=tools/lab/config.py $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
lab: $(VENV)/.lab-installed $(LAB_OVERRIDES) ## open the notebooks in JupyterLab (NUM_STEPS=50 make lab: quick mode in every kernel)
	$(LAB) notebooks/ $(LAB_ARGS)

$(VENV)/.lab-installed: $(VENV)/.installed tools/lab/requirements.txt
	$(VPY) -m pip install --quiet --disable-pip-version-check -r tools/lab/requirements.txt -c requirements.txt
	touch $@

# The lab's own defaults: JupyterLab's overrides.json in the venv's app settings folder. Copied from
# tools/lab/overrides.json, it turns off the pop-up asking to fetch Jupyter news, which would sit over
# the first notebook (a choice made in the Settings editor still wins). A file target of its own, so
# that an existing .venv gets it too.
$(LAB_OVERRIDES): tools/lab/overrides.json $(VENV)/.lab-installed
	@mkdir -p $(@D)
	cp $< $@

# The real JupyterLab opens and saves every notebook; git status stays clean. First the browser
# machinery's own test (make test skips it where playwright is not installed yet).
lab-proof: $(VENV)/.lab-installed $(LAB_OVERRIDES) browser-deps ##dev open+save every notebook in the pinned lab (headless), run train5 quick; git status stays clean
	$(VPY) -m pytest -q -m chromium tests/test_browser.py
	$(VPY) -m tools.browser.lab -- $(LAB)

# --- browser proofs (tools/browser): Debian's chromium driven by playwright, pinned in
# tools/browser/requirements.txt and installed into .venv; playwright's own browser download is never
# used. A missing chromium is installed only when asked: INSTALL_CHROMIUM=1 (what .ci/run sets).
.PHONY: chromium browser-deps
chromium: ##dev check that Debian's chromium is here (INSTALL_CHROMIUM=1: apt-get install it if not)
	@[ -n "$$CHROMIUM" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  if [ "$(INSTALL_CHROMIUM)" = 1 ]; then echo "installing Debian's chromium (INSTALL_CHROMIUM=1) …"; \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "error: no chromium here: sudo apt-get install chromium (or add INSTALL_CHROMIUM=1 to the make command)"; exit 1; fi

browser-deps: $(VENV)/.browser-installed chromium ##dev what browser proofs need: playwright (pinned) and chromium

$(VENV)/.browser-installed: $(VENV)/.installed tools/browser/requirements.txt
	$(VPY) -m pip install --quiet --disable-pip-version-check -r tools/browser/requirements.txt -c requirements.txt
	touch $@

# --- The course in a browser tab: JupyterLite (tools/lite; own venv .venv-lite) -----------------------
LITE_VENV := .venv-lite
.PHONY: lite lite-proof lite-lock
# LITE_START picks the notebook the landing page starts students on, e.g. make lite LITE_START=notebooks/exercises/train3.ipynb
# CLASS=1: a class's site, the student notebooks only (the lessons hold every solution): build/site/lite-class/
lite: $(LITE_VENV)/.installed ## build the whole course as a static JupyterLite site: build/site/lite/ (CLASS=1: exercises only)
	$(LITE_VENV)/bin/python -m tools.lite.build $(if $(LITE_START),--start $(LITE_START)) $(if $(filter 1,$(CLASS)),--class)

lite-proof: $(LITE_VENV)/.installed browser-deps ##dev build again (same bytes?), then run lessons, an exercise and the class's site in headless Chromium
	$(LITE_VENV)/bin/python -m tools.lite.build --verify
	$(LITE_VENV)/bin/python -m tools.lite.build --class
	$(VPY) -m tools.browser.lite

lite-lock: $(LITE_VENV)/.installed ##dev re-pin tools/lite/lock.json (Pyodide's npm integrity, the wheels' sha256) after a kernel upgrade
	$(LITE_VENV)/bin/python -m tools.lite.build --lock

$(LITE_VENV)/.installed: tools/lite/requirements.txt
	$(call ROOM_VENV,lite,$(LITE_VENV),$<,3.10,it fetches Pyodide from the npm registry)

# --- nbgrader (docs/exercises.md): a course folder for the six steps, and the proof that nbgrader
# itself grades it right. nbgrader is pinned in tools/nbgrader/requirements.txt and lives in a venv of
# its own (.venv-nbgrader, with requirements.txt), so make test stays lean.
NBG_VENV := .venv-nbgrader
.PHONY: nbgrader grade-proof
nbgrader: $(NBG_VENV)/.installed ## write an nbgrader course (build/nbgrader/: source/train0 … train5) and install nbgrader
	@[ -f data/names.txt ] || $(PYTHON) tools/dataset.py || echo "(no data/names.txt: each notebook downloads it when it runs)"
	$(NBG_VENV)/bin/python -m tools.nbgrader.course $(BUILD)/nbgrader

grade-proof: $(NBG_VENV)/.installed browser-deps ##dev nbgrader grades simulated students (right, wrong, gaming, runaway), the teacher's workflow, a feedback page in Chromium
	$(PYTHON) tools/dataset.py
	$(NBG_VENV)/bin/python -m tools.nbgrader.course --grade-check

$(NBG_VENV)/.installed: requirements.txt tools/nbgrader/requirements.txt
	$(call ROOM_VENV,nbgrader,$(NBG_VENV),$^,3.10)

# The proofs' and the full-length run's earlier names, kept so that old notes and scripts still work.
.PHONY: lab-check lite-check docs-check grade-check check-full
lab-check: lab-proof
lite-check: lite-proof
docs-check: docs-proof
grade-check: grade-proof
check-full: fidelity
