# Estafette — every command a developer, CI or a demo needs. `make help` lists them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SANDBOX_DIR ?= $(CURDIR)/.sandbox
DEMO_PROFILE := $(SANDBOX_DIR)/demo-profile

.PHONY: help setup run test check unit bench sandbox-up sandbox-down sandbox-status demo-profile \
        translations screenshots clean

help:
	@echo "make run          set up everything, start the sandbox, open the client on the demo profile"
	@echo "make test         set up everything and run the whole test suite (what CI runs)"
	@echo "make bench        benchmarks (figures also written to docs/benchmarks.md)"
	@echo "make sandbox-up | sandbox-down | sandbox-status   the local MSSanté servers"
	@echo "make check        ruff, mypy, import contracts only"

setup:
	@bash packaging/dev/setup-debian.sh
	@$(PY) -m ui.i18n compile

sandbox-up: setup
	@$(PY) -m tests.sandbox up --dir $(SANDBOX_DIR)

sandbox-down:
	@if [ -x $(PY) ]; then $(PY) -m tests.sandbox down --dir $(SANDBOX_DIR); fi

sandbox-status:
	@$(PY) -m tests.sandbox status --dir $(SANDBOX_DIR)

demo-profile: sandbox-up
	@$(PY) -m tests.sandbox.demo_profile --dir $(SANDBOX_DIR) --profile $(DEMO_PROFILE)

run: demo-profile
	@bash packaging/dev/run-gui.sh --profile $(DEMO_PROFILE) --key-file $(DEMO_PROFILE).key

check: setup
	$(VENV)/bin/ruff check app ui tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: setup
	@bash packaging/dev/run-tests.sh

bench: setup
	@$(PY) -m tests.benchmarks

translations: setup
	@$(PY) -m ui.i18n build

screenshots: demo-profile
	@xvfb-run -a -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb \
		$(PY) packaging/dev/take_screenshots.py --profile $(DEMO_PROFILE) --key-file $(DEMO_PROFILE).key

clean: sandbox-down
	rm -rf $(SANDBOX_DIR) .pytest_cache .mypy_cache .ruff_cache
