#!/usr/bin/env bash
# The rules the code keeps on itself, as CI checks them (run tools/test.sh first: it makes
# .venv). Lint and complexity ceilings, formatting, the layer contracts (import-linter, in
# pyproject.toml), the types (mypy), then the workflows and build scripts
# (tools/lint-workflows.sh). Each prints what is wrong; the first failure stops.
set -euo pipefail
cd "$(dirname "$0")/.."
set -x
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
.venv/bin/mypy
tools/lint-workflows.sh
