# Comptoir — the two commands a new machine needs: `make test` and `make demo`.
# Both set everything up first: Debian packages when run as root, a .venv, the package.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# Debian packages the project needs at run or test time: PC/SC stack and a virtual reader,
# linux headers to build evdev, libusb for nfcpy, zbar to decode printed QR codes, a virtual X screen for Kivy, PostgreSQL,
# fonts and FriBiDi to print names no code page has as pictures (Arabic, Hebrew, CJK, emoji),
# chromium for the back office's browser tests (Playwright drives it; tests/web).
APT_PACKAGES := sqlite3 linux-libc-dev libpcsclite-dev pcscd vsmartcard-vpcd libusb-1.0-0 libzbar0 xvfb xauth libgl1 libegl1 libmtdev1 postgresql fonts-dejavu-core fonts-droid-fallback libfribidi0 x11-utils chromium chromium-l10n

.PHONY: test check demo demo-cli bench mutation system-deps clean

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install these Debian packages (as root):$$missing" >&2; exit 1; fi; \
	fi

$(STAMP): setup.cfg pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,server,ui,nfc,pcsc,wedge,printer]'
	@touch $@

# The gates: lint and import order (ruff), types (mypy); settings in pyproject.toml.
# `make test` runs them first; .pre-commit-config.yaml runs the same at commit time.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
# pytest collects tests/ and the docstring examples of kiosk, sync, drivers (pyproject.toml).
# The files run in parallel (pytest-xdist), one worker per CPU; a file stays on one worker
# (--dist loadfile): its module fixtures (central servers, PostgreSQL databases, pcscd, which
# only one process per machine may run) are started once, and its tests keep their order.
# Files are handed out in the order tests/conftest.py gives (the longest first, from their
# `slow(seconds=N)` marks): --no-loadscope-reorder, as xdist would otherwise hand them out by
# number of tests, which left the long files with few tests (end-to-end runs) for last.
# Python may cache bytecode here whatever the environment says (a PYTHONDONTWRITEBYTECODE=1,
# as on this machine, made every `comptoir` process the tests start compile our modules again,
# and every pytest process redo its assertion rewriting: 17% of a CLI test's CPU).
# One worker more than CPUs: many tests wait on processes of their own (the platform over
# loopback, PostgreSQL, chromium, `comptoir` commands, pcscd), so a third worker on two CPUs
# keeps both busy. PYTEST_WORKERS=0 runs everything in this process.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: check
	@env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25 $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

# The touch app on the demo school (a scripted walk under Xvfb when there is no display, or
# with DEMO_HEADLESS=1); `make demo-cli` walks the same service on the command line.
demo: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

demo-cli: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo-cli.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_sell.py $(BENCH_ARGS)

# Mutation testing of the money rules (mutmut; not part of `make test`: minutes of CPU). Each
# module's score and surviving mutants are printed; docs/mutation.md explains the ones left.
# MUTATION_MODULES=journal narrows it, MUTATION_JOBS sets mutmut's parallel workers.
MUTATION_JOBS ?= 2
mutation: $(STAMP)
	MUTATION_JOBS=$(MUTATION_JOBS) $(BIN)/python scripts/mutation.py $(MUTATION_MODULES)

clean:
	rm -rf mutants $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache build *.egg-info
