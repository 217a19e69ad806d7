# The index of commands. `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= demo
HOST ?= 127.0.0.1:8000
# The suite is faster in one process than split over two cores (database set-up per worker).
PYTEST_ARGS ?=

.PHONY: run test install messages migrate seed worker beat lint typecheck check-migrations ci clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Compile the kk/ru catalogues (locale/*.po -> .mo); needs gettext's msgfmt, else English only.
messages: install
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(BIN)/python manage.py compilemessages --ignore=.venv -v0; \
	else \
		echo "msgfmt (Debian package gettext) not found: pages stay in English until it is installed"; \
	fi

migrate: messages
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --password "$(DEMO_PASSWORD)"

## Serve on http://$(HOST) with SQLite and in-process tasks, demo users' password $(DEMO_PASSWORD).
## The demo's last month is tested for unexpected moves (early warning), then its forecasts
## are computed, beside the server (var/forecast.log), the headline KPI first: the
## dashboard shows each KPI's fan as soon as its run is stored.
run: seed
	mkdir -p var
	($(BIN)/python manage.py detect_rises; $(BIN)/python manage.py forecast) > var/forecast.log 2>&1 &
	$(BIN)/python manage.py runserver $(HOST)

## Background jobs (need REDIS_URL; without it tasks run in the web process). Every queue,
## or some: `make worker QUEUES=exports` (docs/background-jobs.md: one worker per queue).
QUEUES ?= imports,exports,notices,rollups,forecasts
worker: install
	$(BIN)/celery -A projectoffice worker --loglevel INFO --queues $(QUEUES)

beat: install
	$(BIN)/celery -A projectoffice beat --loglevel INFO

## The whole suite. DATABASE_URL / REDIS_URL / REQUIRE_SERVICES pass through from the environment.
test: messages
	DJANGO_ENV=test $(BIN)/pytest $(PYTEST_ARGS)

## Benchmarks on PostgreSQL, each ratio next to its goal (docs/performance.md). They WIPE
## the values of BENCH_DATABASE_URL: give them a database of their own.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/projectoffice_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/3
# The forecast bench seeds the demo (200 districts) into a database of its own and empties its runs.
BENCH_FORECAST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/projectoffice_bench_forecast
# The early-warning bench seeds the same data into a database of its own.
BENCH_ALERTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/projectoffice_bench_alerts
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/import_statistics.py
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/values_api.py
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/summary.py --districts 1500
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/dashboard.py
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/asof.py
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/public_page.py
	DATABASE_URL=$(BENCH_FORECAST_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_FORECAST_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) DEBUG=0 $(BIN)/python bench/forecast.py --seed
	DATABASE_URL=$(BENCH_ALERTS_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_ALERTS_DATABASE_URL) DEBUG=0 $(BIN)/python bench/alerts.py --seed

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

check-migrations: install
	DJANGO_ENV=test $(BIN)/python manage.py makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache staticfiles
