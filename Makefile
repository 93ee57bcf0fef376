# The two commands of the README, and the pieces they are made of.
#   make demo   install everything in .venv and serve the demo on http://127.0.0.1:8000
#   make test   install everything and run the whole test suite (checks included)
# DATABASE_URL=postgres://... make test   runs the suite on PostgreSQL.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: demo test install browser java translations check

demo: install
	$(BIN)/pilotage demo

test: install browser java translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pilotage makemigrations --check --dry-run
	$(BIN)/python -m pytest

install: $(STAMP)

$(STAMP):
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	rm -f $(VENV)/.installed-*
	$(BIN)/pilotage compilemessages --ignore "$(VENV)" -v 0
	touch $@

# Browser tests drive Debian's chromium (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Install Debian's chromium first: sudo apt-get install chromium"; exit 1; \
	  fi; }

# The Spark tests run pyspark in local mode, which needs a Java 17+ runtime (Debian's).
java:
	@command -v java >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	  else \
	    echo "Install a Java runtime first: sudo apt-get install default-jre-headless"; exit 1; \
	  fi; }

# Refresh the French catalogue from the code (a new string without its French fails the
# translation test) and compile it.
translations: install
	cd pilotage && ../$(BIN)/pilotage makemessages -l fr --no-obsolete --add-location file \
	  --ignore "*/tests/*" -v 0
	$(BIN)/pilotage compilemessages --ignore "$(VENV)" -v 0
