#!/usr/bin/env bash
# Install the Debian packages named that are not installed yet (apt-get update first, sudo
# when not root). Does nothing where there is no apt-get. Used by tools/test.sh and
# tools/lint-workflows.sh.
set -euo pipefail
command -v apt-get >/dev/null 2>&1 || exit 0
missing=()
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -gt 0 ] || exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
