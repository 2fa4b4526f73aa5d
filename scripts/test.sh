#!/usr/bin/env bash
# Sets up the test environment and runs the whole test suite, then the linter
# (ruff) and the type checker (mypy, strict on the typed joints): the README's
# second quick-start command, and what CI runs (.ci/run).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev || exit $?
.venv/bin/python -m pytest -q "$@"
status=$?
# pytest exits 5 when it collected no tests: not a failure of the product.
[ $status = 5 ] && status=0
.venv/bin/python -m ruff check alpr_edge tests scripts || status=1
.venv/bin/python -m mypy || status=1
exit $status
