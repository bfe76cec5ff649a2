# eoffice: `make demo` serves the demo agency, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell deploy/find-python)
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Apt needs root; use sudo when we are not.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help demo serve install install-dev system-deps browser-deps test lint typecheck messages check-deploy clean

help:
	@echo "make demo   install, migrate, load the demo agency and serve http://127.0.0.1:8000"
	@echo "make test   install what the tests need and run the whole suite"
	@echo "make lint   ruff"
	@echo "make typecheck   mypy with django-stubs"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

system-deps:
	@ldconfig -p | grep -q 'libmagic.so.1' || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libmagic1; }
	@# DejaVu Sans: the Unicode font embedded in the PDF register exports.
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq fonts-dejavu-core; }
	@# pdfsig (poppler-utils) and certutil (libnss3-tools): the suite's independent check of
	@# digital signatures with NSS, beside pyHanko's own verification.
	@command -v pdfsig >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq poppler-utils; }
	@command -v certutil >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libnss3-tools; }

browser-deps:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

install: $(UV) system-deps
	$(UV) sync --frozen --no-dev --python $(PYTHON) --quiet

install-dev: $(UV) system-deps
	$(UV) sync --frozen --python $(PYTHON) --quiet

demo: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	@echo
	@echo "eoffice demo: http://127.0.0.1:8000  (Ctrl+C stops it)"
	@# The deadline-reminder job runs beside the server, every 5 minutes, and stops with it.
	DEBUG=0 HTTPS=0 $(PY) manage.py send_deadline_reminders --every 300 & reminders=$$!; \
	trap 'kill $$reminders 2>/dev/null' EXIT INT TERM; \
	DEBUG=0 HTTPS=0 $(VENV)/bin/daphne -e tcp:port=8000:interface=127.0.0.1:backlog=1024 eoffice.asgi:application

serve: install
	$(PY) manage.py migrate --noinput -v0
	DEBUG=0 HTTPS=0 $(VENV)/bin/daphne -e tcp:port=8000:interface=127.0.0.1:backlog=1024 eoffice.asgi:application

# One worker per core (pytest-xdist): each has its own test database and its own channel
# names in Redis (tests/conftest.py). PYTEST_WORKERS=0 runs in this process alone.
PYTEST_WORKERS ?= auto
test: install-dev browser-deps
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy eoffice documents routing realtime

messages: install-dev
	mkdir -p locale
	$(PY) manage.py makemessages -l vi --no-obsolete -i ".venv/*" -i ".tools/*" -i "var/*" -i "tests/*" -i "bench/*"
	$(PY) manage.py compilemessages -l vi -i ".venv" -i ".tools" -i "var"

check-deploy: install
	DEBUG=0 SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=eoffice.example.gov.vn $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .tools var/test-eoffice-*.sqlite3* test-artifacts

# --- benchmarks (issue 5): PostgreSQL and Redis on 127.0.0.1, results in bench/results/ ---
.PHONY: bench bench-notices bench-lists bench-search bench-numbering

# `make bench` runs every part that exists.
bench: bench-notices bench-lists bench-search bench-numbering

# Part 1, notice latency and fan-out: the harness on core 1, the servers on core 0; it
# stops itself after ~11 minutes (the outer timeout is only a safety net).
bench-notices: install-dev
	timeout -k 15 750 taskset -c 1 $(PY) -m bench.notices

# Parts 2 and 3, lists and search at a million documents: bench/generate.py builds the
# eoffice_bench database once with COPY (~10 minutes; later runs find its marker and skip
# it), then bench/lists.py measures. Each step stops itself; the timeouts are safety nets.
bench-lists: install-dev
	timeout -k 15 900 $(PY) bench/generate.py
	timeout -k 15 900 $(PY) bench/lists.py lists

bench-search: install-dev
	timeout -k 15 900 $(PY) bench/generate.py
	timeout -k 15 600 $(PY) bench/lists.py search

# Part 4, numbering under contention: PostgreSQL (its own database eoffice_bench_numbering,
# 2/8/32/64 worker processes) and the embedded SQLite (2/4/8), each against a bare-counter
# floor; it stops itself after ~4.5 minutes (the outer timeout is only a safety net).
bench-numbering: install-dev
	timeout -k 15 420 $(PY) bench/numbering.py
