# Video Response. Quick start: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STATIC := src/videoresponse/core/static/vendor
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

install: $(STAMP) $(STATIC)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Front-end packages come from npm at install time; nothing of theirs is kept in git.
# GOV.UK's typeface is licensed for gov.uk services only, so its @font-face rules are dropped.
$(STATIC)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf $(STATIC) && mkdir -p $(STATIC)/govuk
	sed 's/@font-face{[^}]*}//g' node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css > $(STATIC)/govuk/govuk-frontend.min.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(STATIC)/govuk/
	mkdir -p $(STATIC)/signature_pad $(STATIC)/tus-js-client
	cp node_modules/signature_pad/dist/signature_pad.min.js $(STATIC)/signature_pad/
	cp node_modules/tus-js-client/dist/tus.min.js $(STATIC)/tus-js-client/
	touch $@

run: install
	$(BIN)/videoresponse migrate
	$(BIN)/videoresponse demo
	$(BIN)/videoresponse serve

# Unit tests are independent (each has its own database copy), so they run on both cores;
# the call's socket tests time what browsers and the server do in turn, and integration and
# browser tests share servers and ports, so those run one at a time.
test: install
	$(BIN)/pytest tests/unit -n 2 --ignore=tests/unit/calls
	$(BIN)/pytest tests/unit/calls tests/integration tests/e2e

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules $(STATIC)
