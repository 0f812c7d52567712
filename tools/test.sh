#!/usr/bin/env bash
# Installs what the tests need, then runs them: the Debian packages for a virtual X display
# with Mesa OpenGL (tools/debian-packages.txt, only those missing), the app with its dev extra
# in .venv (at the versions in constraints.txt), then pytest in two worker processes
# (pytest-xdist, tests handed out one by one, those of an xdist_group to one worker; GUI tests
# open real windows under Xvfb through pytest-xvfb, one display per worker). Every test but
# the soak test (marked `soak`): `tools/test.sh -m soak -n 0` runs that one alone. CI runs
# exactly these two. Extra arguments go to pytest, after `-n 2` (so `-n 0` runs in this
# process, `-n auto` one worker per core).
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
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
