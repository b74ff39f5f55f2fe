# The two README commands: `make run` (set up + main job) and `make test` (set up, lint, docs
# build, full test suite).
.PHONY: setup run test lint bench docs linkcheck clean

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/workbench run

test: setup
	.venv/bin/ruff check src tests bench
	$(SPHINX) -b html docs docs/_build/html
	.venv/bin/python -m pytest

lint: setup
	.venv/bin/ruff check src tests bench

# Docs (German, docs/): warnings are errors, so a broken internal link, anchor or cross reference
# fails; the example pages run as notebooks (their code is tested). Caches, store and output of
# the executed pages stay under docs/_build, never in var/, data/store/ or output/.
SPHINX = WORKBENCH_CACHE_DIR=$(CURDIR)/docs/_build/var/cache \
	WORKBENCH_DB=$(CURDIR)/docs/_build/var/observations.sqlite \
	WORKBENCH_OUTPUT_DIR=$(CURDIR)/docs/_build/var/output \
	.venv/bin/sphinx-build -W --keep-going -n -q

docs: setup
	$(SPHINX) -b html docs docs/_build/html
	@echo "Dokumentation: docs/_build/html/index.html"

# External links (needs the internet; not part of `make test`).
linkcheck: setup
	$(SPHINX) -b linkcheck docs docs/_build/linkcheck

bench: setup
	.venv/bin/python bench/run_all.py

clean:
	rm -rf output var .pytest_cache docs/_build
