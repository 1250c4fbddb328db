# The two entry points are `make up` and `make test`; both install what they need themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: up test install install-dev check lint bench clean

up: install
	$(BIN)/vodstack up

test:
	bash scripts/test $(ARGS)

install:
	bash scripts/install

install-dev:
	bash scripts/install --dev

check: install-dev
	bash scripts/check

bench: install-dev
	$(BIN)/python bench/gateway.py

clean:
	rm -rf $(VENV) var node_modules
