# Two commands for a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-quick install migrate clean translations

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

migrate: install
	CONTACTAPI_ENV=$${CONTACTAPI_ENV:-development} $(BIN)/flask --app wsgi db upgrade

run: migrate
	CONTACTAPI_ENV=$${CONTACTAPI_ENV:-development} $(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

test: install
	$(BIN)/python -m pytest -q

# The same without the tests marked slow (browser journeys, kill -9, big exports, client generation).
test-quick: install
	$(BIN)/python -m pytest -q -m "not slow"

# After changing a visitor page's words: refresh the catalogs, translate the new entries, compile (commit all).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --project contactapi -o contactapi/translations/messages.pot .
	$(BIN)/pybabel update -i contactapi/translations/messages.pot -d contactapi/translations
	$(BIN)/pybabel compile -d contactapi/translations

clean:
	rm -rf $(VENV) instance/*.sqlite3*
