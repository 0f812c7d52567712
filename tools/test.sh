#!/usr/bin/env bash
# Installs what the tests need, then runs them all: the Debian packages for a virtual X
# display with Mesa OpenGL (tools/debian-packages.txt, only those missing), the app with
# its dev extra in .venv (at the versions in constraints.txt), then pytest (GUI tests open
# real windows under Xvfb through pytest-xvfb). CI runs exactly this. Extra arguments go to
# pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  while read -r pkg; do
    [ -n "$pkg" ] && ! dpkg -s "$pkg" >/dev/null 2>&1 && missing+=("$pkg")
  done < tools/debian-packages.txt
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

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
