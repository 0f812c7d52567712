#!/usr/bin/env bash
# Refresh constraints.txt: the exact versions CI (tools/test.sh) installs. A fresh virtual
# environment takes the newest releases pyproject.toml allows for the app and its dev extra;
# their versions are written down. Run it on purpose (to take new releases), then run the
# tests and commit the file with what changed: a new release never reaches CI unseen.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "constraints.txt is made on Python 3.11 (CI's); set PYTHON to a python3.11" >&2
  exit 2
fi
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --upgrade pip
"$tmp/venv/bin/python" -m pip install -q ".[dev,build]"  # the tests' and the bundle's
{
  echo "# What CI installs (tools/test.sh and packaging/bundle.sh: pip install -c"
  echo "# constraints.txt). Refreshed by"
  echo "# tools/refresh-constraints.sh on $(date -u +%Y-%m-%d) with $("$tmp/venv/bin/python" --version)."
  "$tmp/venv/bin/python" -m pip freeze --exclude aiml3d-desktop
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) pins"
