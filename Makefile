# oktodash: `make run` starts everything, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python

# The first Python >= 3.12 found: python3.13, python3.12, python3, then pyenv's installs.
find_python = $(shell for c in python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.*/bin/python3 2>/dev/null | sort -rV); do \
	if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	command -v "$$c" 2>/dev/null || echo "$$c"; break; fi; done)

.PHONY: help run test test-dates lint format bench clean-var

help:
	@echo "make run    start oktodash (web, worker, beat and, without Oktopost credentials, the sandbox)"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff check, ruff format --check, and the import rules (import-linter)"

$(VENV)/.installed: pyproject.toml
	@py="$(find_python)"; \
	if [ -z "$$py" ]; then \
		echo "oktodash needs Python 3.12 or newer; none was found (tried python3.13, python3.12, python3, pyenv versions)." >&2; \
		echo "Install one (e.g. 'pyenv install 3.13') and run make again." >&2; exit 1; \
	fi; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		rm -rf $(VENV); echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# Local state (SQLite, the embedded broker, the key below); settings read VAR_DIR too.
VAR_DIR ?= var

# Ctrl-C is how `make run` stops: the supervisor then stops every process and exits 0.
# Without OKTOPOST_ACCOUNT_ID it runs in sandbox mode (OKTOPOST_SANDBOX=true, which
# settings require when there are no credentials) and starts the sandbox too.
# The key and the address kept under VAR_DIR are read by settings when SECRET_KEY and
# SITE_URL are unset, so `manage.py` commands run later beside it work as written.
run: $(VENV)/.installed
	@mkdir -p "$(VAR_DIR)"; \
	if [ ! -s "$(VAR_DIR)/secret_key" ]; then \
		(umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > "$(VAR_DIR)/secret_key"); \
	fi; \
	export VAR_DIR="$(VAR_DIR)" HTTPS="$${HTTPS:-false}" \
		SITE_URL="$${SITE_URL:-http://$${WEB_BIND:-127.0.0.1:8000}}"; \
	if [ -z "$$OKTOPOST_ACCOUNT_ID" ]; then export OKTOPOST_SANDBOX=true; fi; \
	echo "$$SITE_URL" > "$(VAR_DIR)/site_url"; \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py ensure_demo_users || exit; \
	if [ -z "$$EMAIL_URL" ]; then echo "Mail (alerts, digests) is written to files under $(VAR_DIR)/mail/ (set EMAIL_URL=smtp://user:pass@host:587 to send it)."; fi; \
	if [ -z "$$OKTOPOST_ACCOUNT_ID" ]; then \
		echo "No OKTOPOST_ACCOUNT_ID set: sandbox mode (OKTOPOST_SANDBOX=true), starting the local Oktopost sandbox with demo data."; \
		exec $(PY) -m oktodash.supervise Procfile; \
	else \
		exec $(PY) -m oktodash.supervise Procfile web worker beat; \
	fi

# The suite runs in TEST_WORKERS processes (pytest-xdist): many tests wait on a browser,
# the sandbox or a worker, so a process more than the cores keeps both busy; two more
# only fight for them (on 2 cores, whole suite: 2 processes 374 s, 3 335 s, 4 369-416 s,
# each process also running its own browser, sandbox and live server).
# tests/settings.py gives each process its own VAR_DIR and Redis databases.
# Bytecode is cached (__pycache__/, ignored by git) even where PYTHONDONTWRITEBYTECODE
# is set: every test process and every process a test starts would compile the project
# again, a few seconds of CPU each.
TEST_WORKERS ?= 3
test: $(VENV)/.installed
	env -u PYTHONDONTWRITEBYTECODE $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The date matrix: the tests marked `dates` (weeks, ranges, zones) again at each of these
# instants (tests/conftest.py moves this process's clock and the sandbox's there): a
# Monday, a Monday just after midnight UTC (an hour ago is last week), a Saturday and a
# late Sunday; Berlin's clock changes in March and October;
# New York's in March and November; 29 February; New Year's Eve 23:30 UTC.
TEST_DATES := 2026-12-07T08:00:00+01:00,2026-12-07T00:30:00+00:00,2026-12-12T21:00:00+01:00,2026-12-13T23:30:00+01:00,2027-03-28T01:30:00+01:00,2026-10-25T02:30:00+02:00,2027-03-14T01:30:00-05:00,2026-11-01T01:30:00-04:00,2028-02-29T12:00:00+00:00,2026-12-31T23:30:00+00:00
test-dates: $(VENV)/.installed
	OKTODASH_TEST_DATES="$(TEST_DATES)" env -u PYTHONDONTWRITEBYTECODE \
		$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal -m dates $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
