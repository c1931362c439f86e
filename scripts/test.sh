#!/usr/bin/env bash
# Set up from scratch and run every test: install checks, import layering, pytest, Jest,
# Galata in Chromium. Ends with one line "tests: N passed, N failed" summing all runners.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
bash scripts/setup.sh --browser
# shellcheck disable=SC1091
. "${VENV:-$ROOT/.venv}/bin/activate"
mkdir -p build/test-results
status=0

printf '\n==> Install checks\n'
bash scripts/check_install.sh || status=1

printf '\n==> Import layering (import-linter contracts, madge cycle check)\n'
python scripts/check_layering.py build/test-results/layering.json || status=1

printf '\n==> pytest (server, sandbox, kernels)\n'
# Exit code 5 (no tests collected) is a failure like any other non-zero code.
python -m pytest -q -p no:cacheprovider --junitxml=build/test-results/pytest.xml || status=1

printf '\n==> Jest (front-end logic)\n'
jlpm jest --ci --json --outputFile=build/test-results/jest.json || status=1

printf '\n==> Galata (the panel in Chromium)\n'
(cd ui-tests && PLAYWRIGHT_JSON_OUTPUT_NAME=../build/test-results/galata.json \
  jlpm playwright test --reporter=list,json,html) || status=1

python scripts/summarize_results.py build/test-results || status=1
exit $status
