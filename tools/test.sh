#!/usr/bin/env bash
# Installs what the tests need, then runs them all: the Debian packages for a virtual X
# display with Mesa OpenGL (tools/debian-packages.txt, only those missing), the app with
# its dev extra in .venv (at the versions in constraints.txt), then pytest (GUI tests open
# real windows under Xvfb through pytest-xvfb). CI runs exactly this. Extra arguments go to
# pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck disable=SC2046  # one package name a line
tools/apt-install.sh $(cat tools/debian-packages.txt)

[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The versions CI has always tested (constraints.txt, made on Python 3.11 by
# tools/refresh-constraints.sh); another Python takes the newest releases pyproject allows.
constraints=()
if .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  constraints=(-c constraints.txt)
fi
.venv/bin/python -m pip install -q ${constraints[@]+"${constraints[@]}"} -e ".[dev]"
export PYOPENGL_PLATFORM=glx QT_QPA_PLATFORM=xcb
exec .venv/bin/python -m pytest "$@"
