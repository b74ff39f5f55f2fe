#!/usr/bin/env bash
# Create .venv and install workbench with its dev and docs extras. Idempotent; fast when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! command -v uv >/dev/null 2>&1; then
    "$PY" -m pip install --quiet uv || true
fi
if command -v uv >/dev/null 2>&1; then
    [ -x .venv/bin/python ] || uv venv --quiet --python "$PY" .venv
    uv pip install --quiet --python .venv/bin/python -e ".[dev,docs]"
else
    [ -x .venv/bin/python ] || "$PY" -m venv .venv
    .venv/bin/python -m pip install --quiet -e ".[dev,docs]"
fi
# Register the kernel so JupyterLab, papermill and nbval all run the notebooks in this venv.
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (workbench)" >/dev/null
# axe-core for the accessibility browser tests (tests/dashboards/test_accessibility.py) and
# configurable-http-proxy for the hub (workbench hub, tests/hub_ldap),
# pinned in package.json/package-lock.json; node_modules/ stays out of git.
if command -v npm >/dev/null 2>&1; then
    if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -x node_modules/.bin/configurable-http-proxy ] \
        || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        npm ci --no-audit --no-fund --loglevel=error >/dev/null
    fi
else
    echo "npm fehlt: die Barrierefreiheitstests (axe-core) werden übersprungen (apt-get install npm)." >&2
fi
