# QoriCash back-office. `make run` and `make test` work on a fresh Debian machine with Python 3.11
# (apt-get install -y python3.11 python3.11-venv). Everything else is installed into .venv/.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test lint fmt install migrate messages check-deploy ci clean guide bench

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: apt-get install -y python3.11 python3.11-venv (or make PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "venv failed: apt-get install -y python3.11-venv"; rm -rf $(VENV); exit 1; }
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# http://127.0.0.1:$(PORT)/ (8000 unless PORT=...) with the demo users (printed on start; see README.md).
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --port $(PORT)
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Whole suite. Browser tests run when /usr/bin/chromium exists and are skipped (one line) otherwise.
# PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/qoricash make test
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

# Regenerate the Spanish catalogues after changing user-visible strings (needs gettext), then fill
# the empty msgstr in each django.po and run it again to compile.
#   project level (locale/): qoricash/ and templates/;  each app: its own <app>/locale/.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l es -e html,txt,py --no-obsolete \
		-i ".venv/*" -i "accounts/*" -i "clients/*" -i "operations/*" -i "reports/*" -i "tests/*" \
		-i "*/tests/*" -i "staticfiles/*" -i "media/*" -i "test-artifacts/*" -i "docs/*" \
		-i conftest.py -i manage.py -i gunicorn.conf.py
	for app in accounts clients operations reports; do if [ -d $$app/locale ]; then \
		(cd $$app && ../$(BIN)/python ../manage.py makemessages -l es -e html,txt,py --no-obsolete) ; fi; done
	$(BIN)/python manage.py compilemessages -l es -i .venv -i staticfiles

# The benchmark (docs/benchmarks.md): generates qc_bench (1 year) and qc_bench_5y (5 years) on the
# local PostgreSQL when missing, serves them with gunicorn as on Render, prints the table and writes it
# into docs/benchmarks.md. About 25 minutes; BENCH_ARGS="--data 1y --no-load" for a quick look.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The production checks with a throwaway key (what the deploy must pass).
check-deploy: $(STAMP)
	DEBUG=false ALLOWED_HOSTS=app.qoricash.pe REDIS_URL=redis://127.0.0.1:6379/0 \
	SECRET_KEY=$$($(BIN)/python -c "import secrets; print(secrets.token_urlsafe(45))") \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# The staff's quick guide (docs/guia-rapida.pdf): screenshots of the real screens over the demo data
# (browser test, Chromium at /usr/bin/chromium) into docs/img/, then docs/guia-rapida.html printed to PDF.
guide: $(STAMP)
	GUIDE_DIR=docs $(BIN)/python -m pytest tests/browser/test_quick_guide.py -q -p no:cacheprovider

# Everything CI runs, on PostgreSQL, browser tests included (installs system packages when missing).
ci:
	bash .ci/run

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 media test-artifacts
