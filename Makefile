# The two README commands: `make run` (set up + main job) and `make test` (set up + full test suite).
.PHONY: setup run test lint bench clean

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/workbench run

test: setup
	.venv/bin/ruff check src tests bench
	.venv/bin/python -m pytest

lint: setup
	.venv/bin/ruff check src tests bench

bench: setup
	.venv/bin/python bench/run_all.py

clean:
	rm -rf output var .pytest_cache
