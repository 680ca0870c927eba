# The two commands: `make run` (set up and serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Local development runs with DEBUG on; production sets DJANGO_DEBUG=0 and a real secret.
DEV_ENV := DJANGO_DEBUG=1

.PHONY: run serve backup restore loadtest eval-import test test-postgres ofsted-fixture bench bench-postgres lint migrations-check setup setup-dev load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# The project's own modules byte-compiled, as pip compiles every package it installs. Where
# PYTHONDONTWRITEBYTECODE is set (CI's machines set it), every command and gunicorn worker otherwise
# compiled some 60 modules as it started: 0.1 s. A module changed since is compiled again as it is
# imported, as always; compileall skips those already up to date.
setup: $(VENV)/.installed
	$(BIN)/python -m compileall -q archive articles people
setup-dev: $(VENV)/.installed-dev

load: setup
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py load_archive

run: load
	@echo "Serving the archive at http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The checkers the tests run on pages: axe-core (in the browser) and the W3C Nu HTML Checker (on Java).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# Production settings under gunicorn. Needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS in the environment
# (the settings refuse to start without them); DJANGO_SECURE_SSL_REDIRECT=0 for plain HTTP on loopback.
WORKERS ?= 2
serve: setup
	DJANGO_DEBUG=0 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=0 $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=0 $(BIN)/gunicorn --config python:archive.gunicorn_conf archive.wsgi:application --workers $(WORKERS) --bind 127.0.0.1:$(PORT) \
		--graceful-timeout 10 --timeout 30 --max-requests 5000 --max-requests-jitter 500

# A consistent copy of the database while it serves (SQLite online backup, or pg_dump), into backups/.
backup: setup
	$(DEV_ENV) $(BIN)/python manage.py backup_archive $(FILE)

restore: setup
	@test -n "$(FILE)" || (echo "Usage: make restore FILE=backups/archive-….sqlite3" && exit 2)
	$(DEV_ENV) $(BIN)/python manage.py restore_archive $(FILE)

# Load and faults on loopback (gunicorn, 2 workers, the 5k synthetic archive); prints a table. LOADTEST_ARGS="--postgres URL".
loadtest: setup
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

# How well import_article reads the seed pages, against their hand-curated fixtures.
eval-import: setup
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput --verbosity 0
	$(DEV_ENV) $(BIN)/python manage.py load_archive --verbosity 0 > /dev/null
	$(DEV_ENV) $(BIN)/python manage.py eval_import

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrations-check: setup-dev
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEV_ENV) $(BIN)/python manage.py check
	# Production settings must pass Django's deployment checklist with no issue at all.
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=ci-$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n') \
		DJANGO_ALLOWED_HOSTS=archive.example.org $(BIN)/python manage.py check --deploy --fail-level DEBUG

test: lint migrations-check node_modules/.installed
	$(BIN)/pytest

OFSTED_ODS := fixtures/sources/ofsted/LA_Inspection_Outcomes_as_at_31_March_2025.ods

# Re-import Ofsted's statistics into the local archive and rewrite the committed fixture from the result.
ofsted-fixture: load
	$(DEV_ENV) $(BIN)/python manage.py import_ofsted_outcomes $(OFSTED_ODS) --write-fixture fixtures/05_ofsted_outcomes_2025.json

# The same suite on PostgreSQL (a server on 127.0.0.1:5432 with user postgres, as on our machines).
test-postgres: setup-dev node_modules/.installed
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/archive} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/1} $(BIN)/pytest

# Measure the app against Datasette and the SQL floor on a synthetic archive; writes docs/benchmarks.md.
# The archive is generated on the first run and reused after. BENCH_ARGS="--articles 5000" for a quick run.
# With DATABASE_URL=postgres://… the app is measured on PostgreSQL too, in archive_bench_<N> on that server
# (never DATABASE_URL's own database, which may be the real archive).
BENCH_ARGS ?= --articles 100000 --seed 42
BENCH_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/archive_bench_100k
bench: setup
	$(BIN)/python bench/run_bench.py --reuse $(BENCH_ARGS)

# The same, with the app also measured on PostgreSQL (the database is created and filled if missing).
bench-postgres: setup
	$(BIN)/python bench/run_bench.py --reuse --postgres $(BENCH_POSTGRES_URL) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache node_modules test-artifacts
